"""QR codes drawn as inline SVG (sharp at any size, on a screen or a thermal printer's slip)."""

from __future__ import annotations


def qr_svg(data: str, *, box_size: int = 8, border: int = 2) -> str:
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=box_size, border=border)
    return str(image.to_string(encoding="unicode"))
