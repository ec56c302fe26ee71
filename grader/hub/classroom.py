"""JupyterHub settings for a convcourse class with nbgrader's exchange, on one machine.

tests/test_jupyterhub.py runs a real hub with exactly these settings, and grader/JUPYTERHUB.md explains
them. Use them from a ``jupyterhub_config.py``::

    import sys
    sys.path.insert(0, "/path/to/convcourse/grader/hub")
    from classroom import configure_hub

    c = get_config()
    configure_hub(c, state_dir="/srv/convcourse", exchange_root="/srv/nbgrader/exchange",
                  public_url="http://127.0.0.1:8000", user_password="...", admin_token="...")
    # Production: override the authenticator and spawner here (see grader/JUPYTERHUB.md).

The authenticator (one shared password) and the spawner (every server a process of the hub's own OS
user, no isolation) are for trying the course out and for tests, not for a real class.
"""

from __future__ import annotations

import os
from pathlib import Path

# What every student's single-user server reads: nbgrader settings (nbgrader_config.py) and which server
# extensions a student gets (jupyter_server_config.json). Put on the servers' JUPYTER_CONFIG_PATH below;
# in a container image, copy both files into /etc/jupyter/ instead.
STUDENT_CONFIG_DIR = Path(__file__).resolve().parent / "student"

ADMIN_SERVICE = "class-admin"


def configure_hub(c, *, state_dir: str | os.PathLike, exchange_root: str | os.PathLike, public_url: str,
                  user_password: str, admin_token: str, course_id: str = "convcourse",
                  hub_port: int = 8081, proxy_api_port: int = 8001) -> None:
    """Fill the JupyterHub config object ``c``; every file the hub writes goes under ``state_dir``."""
    state = Path(state_dir).resolve()
    state.mkdir(parents=True, exist_ok=True)

    # Network: students reach the proxy at public_url; the hub and the proxy's REST API stay on loopback.
    c.JupyterHub.bind_url = public_url
    c.JupyterHub.hub_ip = "127.0.0.1"
    c.JupyterHub.hub_port = hub_port
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{proxy_api_port}"

    # The hub's own files, instead of the directory it happens to be started from.
    c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
    c.JupyterHub.pid_file = str(state / "jupyterhub.pid")
    c.ConfigurableHTTPProxy.pid_file = str(state / "jupyterhub-proxy.pid")
    # Stopping the hub stops the proxy and every student's server too (both are the defaults; relied on).
    c.JupyterHub.cleanup_servers = True
    c.JupyterHub.cleanup_proxy = True

    # Log-in: one shared password (JupyterHub >= 5.3's successor of DummyAuthenticator's password).
    # Only users on the roster may log in: the ones the admin service (or an admin) adds to the hub.
    c.JupyterHub.authenticator_class = "shared-password"
    c.SharedPasswordAuthenticator.user_password = user_password
    c.Authenticator.allow_all = False
    c.Authenticator.allow_existing_users = True

    # Servers: a process of this OS user per student, each with its own home (HOME, working directory).
    c.JupyterHub.spawner_class = "jupyterhub.spawner.SimpleLocalProcessSpawner"
    c.SimpleLocalProcessSpawner.home_dir_template = str(state / "home" / "{username}")
    c.Spawner.cmd = ["jupyterhub-singleuser"]  # JupyterLab as a jupyter-server extension (jupyter-labhub is the old way)
    c.Spawner.default_url = "/lab"
    c.Spawner.ip = "127.0.0.1"
    c.Spawner.args = ["--allow-root"] if os.geteuid() == 0 else []  # jupyter-server refuses root otherwise
    c.Spawner.start_timeout = 120  # a cold start loads JupyterLab and nbgrader; slow on a busy small machine
    c.Spawner.http_timeout = 120
    # Every server runs as the same OS user, so nbgrader cannot tell students apart by OS user name:
    # student/nbgrader_config.py names each submission after the hub user (JUPYTERHUB_USER) instead.
    c.Spawner.environment = {
        "JUPYTER_CONFIG_PATH": str(STUDENT_CONFIG_DIR),
        "CONVCOURSE_EXCHANGE": str(Path(exchange_root).resolve()),
        "CONVCOURSE_COURSE_ID": course_id,
    }

    # A service with just the rights to run the class from a script: manage the roster, start and stop
    # servers, issue tokens. Its token goes in the Authorization header of /hub/api requests.
    c.JupyterHub.services = [{"name": ADMIN_SERVICE, "api_token": admin_token}]
    c.JupyterHub.load_roles = [{
        "name": ADMIN_SERVICE,
        "scopes": ["admin:users", "admin:servers", "tokens"],
        "services": [ADMIN_SERVICE],
    }]
