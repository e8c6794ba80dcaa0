"""The dashboard: server-rendered page shells (Jinja2) and the static JS/CSS that call the /api/v1 routes."""
