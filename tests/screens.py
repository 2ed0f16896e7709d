"""Phone screenshots drawn with Pillow and a CJK font (Debian's fonts-wqy-microhei): an
SMS or chat bubble at phone resolution, light or dark, optionally photographed at an
angle or blurred. For the screenshot tests and bench/screenshots.py."""

import io
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


def wrap(text, per_line):
    lines, line = [], ""
    for char in text:
        line += char
        if len(line) >= per_line:
            lines.append(line)
            line = ""
    return lines + ([line] if line else [])


def screenshot(text, size=(1080, 2400), dark=False, angle=0, blur=0.0, sender="106900001234"):
    """PNG bytes of a messaging screen showing `text` in a bubble."""
    width, height = size
    scale = width / 1080
    background, bubble, ink = (
        ((0, 0, 0), (44, 44, 46), (235, 235, 235))
        if dark
        else (
            (245, 245, 245),
            (255, 255, 255),
            (20, 20, 20),
        )
    )
    image = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(image)
    small = ImageFont.truetype(str(FONT), int(36 * scale))
    font = ImageFont.truetype(str(FONT), int(46 * scale))
    draw.text((int(40 * scale), int(20 * scale)), "10:24", font=small, fill=ink)
    draw.text((int(420 * scale), int(130 * scale)), sender, font=small, fill=ink)
    lines = wrap(text, 19)
    top, left = int(320 * scale), int(60 * scale)
    line_height = int(66 * scale)
    draw.rounded_rectangle(
        (left, top, int(1020 * scale), top + line_height * len(lines) + int(50 * scale)),
        radius=int(28 * scale),
        fill=bubble,
    )
    for n, line in enumerate(lines):
        draw.text(
            (left + int(30 * scale), top + int(25 * scale) + n * line_height),
            line,
            font=font,
            fill=ink,
        )
    if angle:
        image = image.rotate(angle, expand=True, fillcolor=background)
    if blur:
        image = image.filter(ImageFilter.GaussianBlur(blur))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()
