# The learner's course in a container, for computers the course cannot install on directly (Intel Macs,
# Chromebooks, other Pythons): docker build -t convcourse . && docker run -p 8888:8888 convcourse
# It installs the learner's lock with course.py, as `make lab` does, and starts JupyterLab on lesson 01.
FROM python:3.12-slim

WORKDIR /course
COPY . /course
RUN python course.py env learner
EXPOSE 8888
CMD [".venv/bin/python", "-m", "convcourse.lab", "--no-browser", "--ip=0.0.0.0", "--port=8888"]
