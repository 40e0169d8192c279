"""The GraphiQL IDE page and its files, served from the package: it works offline, and the
page loads nothing from another origin (a Content-Security-Policy says so to the browser)."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response

ASSETS_DIR = Path(__file__).resolve().parent / "ide_assets"
# Relative to the page (/graphql), so the IDE also works behind a proxy's path prefix.
ASSET_PATH = "graphiql"

# Every file the page may load, with its media type; nothing else in the folder is served.
ASSET_TYPES = {
    "react.production.min.js": "text/javascript",
    "react-dom.production.min.js": "text/javascript",
    "graphiql.min.js": "text/javascript",
    "plugin-explorer.umd.js": "text/javascript",
    "graphiql-start.js": "text/javascript",
    "graphiql.min.css": "text/css",
    "plugin-explorer.css": "text/css",
    "THIRD_PARTY_LICENSES.txt": "text/plain",
}

# Scripts only from this origin (none inline); GraphiQL's editors set inline styles and its
# fonts are data: URLs; queries and subscriptions go back to this origin.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

_STYLESHEETS = ("graphiql.min.css", "plugin-explorer.css")
# In load order: each UMD file expects the globals of the ones before it.
_SCRIPTS = (
    "react.production.min.js",
    "react-dom.production.min.js",
    "graphiql.min.js",
    "plugin-explorer.umd.js",
    "graphiql-start.js",
)


def ide_page_html() -> str:
    """The IDE's HTML: static, executes nothing, refers to same-origin files only."""
    links = "\n".join(
        f'    <link rel="stylesheet" href="{ASSET_PATH}/{name}">' for name in _STYLESHEETS
    )
    scripts = "\n".join(f'    <script src="{ASSET_PATH}/{name}"></script>' for name in _SCRIPTS)
    return f"""<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>cardgraph GraphiQL</title>
    <link rel="icon" href="data:,">
{links}
    <style>body {{ margin: 0; }} #graphiql {{ height: 100vh; }}</style>
  </head>
  <body>
    <div id="graphiql">Loading GraphiQL…</div>
{scripts}
  </body>
</html>
"""


def ide_page_response() -> HTMLResponse:
    """The IDE page, with a policy that lets the browser load same-origin files only."""
    return HTMLResponse(
        ide_page_html(),
        headers={
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-cache",
        },
    )


async def ide_asset(request: Request) -> Response:
    """One of the IDE's files (GET /graphiql/{asset}); 404 for any other name."""
    name = request.path_params["asset"]
    media_type = ASSET_TYPES.get(name)
    if media_type is None:
        body = {"errors": [{"message": "no such file", "extensions": {"code": "NOT_FOUND"}}]}
        return JSONResponse(body, status_code=404)
    return FileResponse(
        ASSETS_DIR / name,
        media_type=media_type,
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "public, max-age=3600"},
    )
