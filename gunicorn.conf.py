"""Gunicorn's settings, read from the working directory by every `gunicorn` started here
(Dockerfile, docker-compose.yml, bench/load.py); flags on the command line win."""

# The access log names the path, never the query string: a search such as
# /customers/?search=<a contact's name> would otherwise put personal data in the logs.
accesslog = "-"
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'
