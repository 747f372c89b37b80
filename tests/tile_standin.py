"""A tile server stand-in for the offline map pack's tests: a real HTTP server on a free local
port answering /{z}/{x}/{y}.png with PNG tiles of one distinctive colour (so a test can find
them on a screenshot), padded to a chosen size, with CORS as public tile servers send it. It
logs every request: the tile, whether it was a page's CORS download (not an <img> of the
map), its Cookie and Referer; and how many downloads it served at once (each takes a few
milliseconds, so that downloads sent together overlap here)."""
import io
import re
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from PIL import Image, PngImagePlugin

COLOUR = (255, 0, 204)  # magenta: no map, no marker of ours is this colour
_TILE = re.compile(r"^/(\d+)/(\d+)/(\d+)\.png$")


def tile_png(size_bytes: int) -> bytes:
    """A 256 px tile of COLOUR, padded with a text chunk to about `size_bytes`."""
    info = PngImagePlugin.PngInfo()
    info.add_text("padding", "x" * max(0, size_bytes - 200))
    out = io.BytesIO()
    Image.new("RGB", (256, 256), COLOUR).save(out, "PNG", pnginfo=info)
    return out.getvalue()


@dataclass(frozen=True)
class Hit:
    tile: tuple[int, int, int]
    origin: str | None
    mode: str | None  # Sec-Fetch-Mode: "cors" for the pack's downloads, "no-cors" for an <img>
    cookie: str | None
    referer: str | None


class TileStandIn:
    def __init__(self, tile_bytes: int = 3000):
        self.png = tile_png(tile_bytes)
        self.hits: list[Hit] = []
        self.most_at_once = 0
        self._at_once = 0
        self._lock = threading.Lock()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                match = _TILE.match(self.path)
                if not match:
                    self.send_error(404)
                    return
                download = self.headers.get("Sec-Fetch-Mode") == "cors"
                with stand_in._lock:
                    stand_in.hits.append(Hit(tuple(int(n) for n in match.groups()),
                                             self.headers.get("Origin"),
                                             self.headers.get("Sec-Fetch-Mode"),
                                             self.headers.get("Cookie"),
                                             self.headers.get("Referer")))
                if download:  # counted before answering: the next one cannot start before
                    with stand_in._lock:
                        stand_in._at_once += 1
                        stand_in.most_at_once = max(stand_in.most_at_once, stand_in._at_once)
                    time.sleep(0.004)
                    with stand_in._lock:
                        stand_in._at_once -= 1
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(stand_in.png)))
                self.send_header("Access-Control-Allow-Origin", "*")
                self.send_header("Cache-Control", "no-store")  # every request reaches us
                self.end_headers()
                self.wfile.write(stand_in.png)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/{{z}}/{{x}}/{{y}}.png"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> "TileStandIn":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join()

    def downloads(self) -> list[tuple[int, int, int]]:
        """The tiles a page downloaded with CORS (the pack), in order."""
        with self._lock:
            return [hit.tile for hit in self.hits if hit.mode == "cors"]

    def forget(self) -> None:
        with self._lock:
            self.hits.clear()
            self.most_at_once = 0
