"""Image files as phones send them (with EXIF, GPS, XMP), and files that only pretend to be."""
import io
import struct
import zlib

from PIL import Image

GPS_IFD, ORIENTATION = 0x8825, 0x0112
XMP = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-'
       b'syntax-ns#"><rdf:Description exif:GPSLatitude="17,21.08N" xmlns:exif="http://ns.adobe.com/'
       b'exif/1.0/"/></rdf:RDF></x:xmpmeta>')


def _exif(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"          # Make
    exif[0x0110] = "SecretPhone 12"      # Model
    if orientation:
        exif[ORIENTATION] = orientation
    exif[GPS_IFD] = {1: "N", 2: (17.0, 21.0, 5.3), 3: "E", 4: (104.0, 37.0, 16.8)}
    return exif


def picture(size=(64, 48), mode="RGB") -> Image.Image:
    """Left half red, right half blue: orientation shows in the pixels."""
    image = Image.new(mode, size, "blue")
    image.paste("red", (0, 0, size[0] // 2, size[1]))
    return image


def jpeg(size=(64, 48), orientation: int | None = None, quality=90) -> bytes:
    out = io.BytesIO()
    picture(size).save(out, "JPEG", quality=quality, exif=_exif(orientation), xmp=XMP,
                       comment=b"taken at home of Somchai")
    return out.getvalue()


def png(size=(40, 30), mode="RGBA") -> bytes:
    image = picture(size, "RGBA")
    image.putpixel((0, 0), (0, 0, 0, 0))  # one transparent pixel
    out = io.BytesIO()
    image.convert(mode).save(out, "PNG", exif=_exif())
    return out.getvalue()


def webp(size=(40, 30)) -> bytes:
    out = io.BytesIO()
    picture(size).save(out, "WEBP", exif=_exif(), xmp=XMP)
    return out.getvalue()


def sliver(size=(1, 40000), kind="JPEG") -> bytes:
    """A valid image one pixel wide (or high) and very long: no photo, but it decodes."""
    out = io.BytesIO()
    Image.new("RGB", size, "gray").save(out, kind)
    return out.getvalue()


PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>"
       b"endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def png_bomb(side: int) -> bytes:
    """A valid 1-bit PNG of side x side pixels, all black: a few kB that decode to a lot."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    row = b"\x00" * (1 + (side + 7) // 8)
    packer = zlib.compressobj(9)
    compressed = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", compressed)
            + chunk(b"IEND", b""))
