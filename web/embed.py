#!/usr/bin/env python3
# embed.py: turn web/index.html into C source lobbyd serves at "/": the
# bytes, and a Content-Security-Policy that allows exactly the page's own
# inline script and style (by their SHA-256), nothing from anywhere else.
import base64
import hashlib
import re
import sys


def source_hashes(html, tag):
    """The CSP source expressions for each inline <tag> element's text."""
    out = []
    for m in re.finditer(r"<%s>(.*?)</%s>" % (tag, tag), html, re.S):
        digest = hashlib.sha256(m.group(1).encode("utf-8")).digest()
        out.append("'sha256-%s'" % base64.b64encode(digest).decode())
    return " ".join(out) or "'none'"


def main():
    src, dst = sys.argv[1], sys.argv[2]
    data = open(src, "rb").read()
    html = data.decode("utf-8")
    if re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html):
        sys.exit("embed.py: %s refers to an external asset" % src)
    csp = ("default-src 'none'; script-src %s; style-src %s; "
           "img-src data:; connect-src 'self'; base-uri 'none'; "
           "form-action 'none'; frame-ancestors 'none'"
           % (source_hashes(html, "script"), source_hashes(html, "style")))
    lines = []
    for i in range(0, len(data), 16):
        lines.append("\t" + " ".join("0x%02x," % b for b in data[i:i + 16]))
    with open(dst, "w") as f:
        f.write("/* page: the chat page, generated from %s by embed.py. */\n"
                % src.split("/")[-1])
        f.write('#include "page.h"\n\n')
        f.write("const unsigned char page_html[] = {\n")
        f.write("\n".join(lines))
        f.write("\n};\n\n")
        f.write("const size_t page_html_len = %d;\n\n" % len(data))
        f.write('const char page_csp[] =\n    "%s";\n' % csp)


main()
