"""Rendering cards as HTML and PDF (WeasyPrint is imported only by `pdf`)."""
