"""The yardstick of bench/web.py: a five-line Flask app served by the same gunicorn, so the
county mix's requests/s can be given as a share of what the server and machine can do at all."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "hello"
