"""The render child process: HTML in on stdin, PDF out on stdout, one frame at a time.

Run as `python -m cardgraph.rendering.pdf_child` by `PdfRenderer`. A frame is an 8-byte
big-endian length and that many bytes; an answer is one status byte (0 PDF, 1 error text)
and a frame. The child ends when its parent closes stdin (or dies).
"""

from __future__ import annotations

import os
import signal
import sys
from typing import BinaryIO

READY = b"R"
OK, ERROR = 0, 1


def read_frame(stream: BinaryIO) -> bytes | None:
    """One length-prefixed frame, or None at the end of the stream."""
    header = stream.read(8)
    if len(header) < 8:
        return None
    size = int.from_bytes(header, "big")
    data = stream.read(size)
    return data if len(data) == size else None


def main() -> None:
    """Serve renders until stdin closes."""
    # Ctrl-C reaches the whole process group: a worker's warm shutdown lets its render finish,
    # and this process ends with its parent (stdin closes).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The frames own the real stdout; anything a library prints goes to stderr instead.
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    from cardgraph.rendering.pdf import html_to_pdf

    html_to_pdf("<p>warm</p>")  # fonts and caches load before the first budgeted render
    answers.write(READY)
    answers.flush()
    requests = sys.stdin.buffer
    while (frame := read_frame(requests)) is not None:
        try:
            status, body = OK, html_to_pdf(frame.decode())
        except Exception as error:  # reported to the parent, which logs it
            status, body = ERROR, repr(error).encode()[:2000]
        answers.write(bytes([status]) + len(body).to_bytes(8, "big") + body)
        answers.flush()


if __name__ == "__main__":
    main()
