# nbgrader looks for its configuration in the directory it runs from; the course's lives in grader/.
c = get_config()  # noqa: F821
load_subconfig("grader/nbgrader_config.py")  # noqa: F821
