"""The contract between the gateway and the services, in one place: what each
request carries (`benefits`, `catalog`, `wallet`, `notifications`) and every event
the services publish, by name, with its payload type (`events`).

The gateway validates its HTTP requests with these schemas (adding only what is
HTTP's own: a password, a form's text fields, a comma-separated list) and each
service validates the same fields again at its RPC boundary with the same classes,
so a rule cannot be changed on one side and forgotten on the other."""
