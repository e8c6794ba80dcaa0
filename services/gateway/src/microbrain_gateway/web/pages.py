"""The dashboard's pages: HTML shells that the static JS fills from the /api/v1 routes.

The pages need no server-side auth: every byte of data comes from the API, which checks the token, the role and
the grid. The app mounts ``/static`` from :data:`STATIC_DIR` and includes :data:`router`.
"""

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

WEB_DIR = Path(__file__).parent
STATIC_DIR = WEB_DIR / "static"
TEMPLATES = Jinja2Templates(directory=str(WEB_DIR / "templates"))

router = APIRouter(include_in_schema=False)


def _page(request: Request, template: str, page: str, **context: str) -> HTMLResponse:
    response = TEMPLATES.TemplateResponse(request, template, {"page": page, **context})
    # The shells are tiny and change with each release; the data never sits in them.
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request) -> HTMLResponse:
    return _page(request, "login.html", "login")


@router.get("/", response_class=HTMLResponse)
async def index_page(request: Request) -> HTMLResponse:
    return _page(request, "index.html", "index")


@router.get("/town", response_class=HTMLResponse)
async def town_page(request: Request) -> HTMLResponse:
    return _page(request, "town.html", "town")


@router.get("/grids/{grid}", response_class=HTMLResponse)
async def grid_page(request: Request, grid: str) -> HTMLResponse:
    return _page(request, "grid.html", "grid", grid=grid)


@router.get("/grids/{grid}/cases/{case_id}", response_class=HTMLResponse)
async def case_page(request: Request, grid: str, case_id: str) -> HTMLResponse:
    return _page(request, "case.html", "case", grid=grid, case_id=case_id)


@router.get("/registry", response_class=HTMLResponse)
async def registry_page(request: Request) -> HTMLResponse:
    return _page(request, "registry.html", "registry")
