"""HTML → PDF with WeasyPrint; the only module importing it. It fetches nothing."""

from __future__ import annotations

from typing import Any

from weasyprint import HTML, URLFetcher


class RefusingURLFetcher(URLFetcher):  # type: ignore[misc]
    """Allows `data:` URLs only: card text can never read a file or reach the network."""

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> Any:
        """Serve `data:` URLs; refuse everything else."""
        if url.lower().startswith("data:"):
            return super().fetch(url, headers)
        raise ValueError(f"fetching {url[:80]!r} is not allowed")


def html_to_pdf(html: str) -> bytes:
    """Render a self-contained HTML document to PDF bytes."""
    document = HTML(string=html, base_url=None, url_fetcher=RefusingURLFetcher())
    pdf: bytes = document.write_pdf()
    return pdf
