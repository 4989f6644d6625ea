#!/usr/bin/env python3
# embed_lua.py: turn server/cluster.lua into C source: the script's bytes,
# which lobbyd loads into Redis (SCRIPT LOAD) as server/cluster_lua.h says.
import sys


def main():
    src, dst = sys.argv[1], sys.argv[2]
    data = open(src, "rb").read()
    if b"\0" in data:
        sys.exit("embed_lua.py: %s holds a NUL byte" % src)
    data.decode("utf-8")  # a script is text: fail the build otherwise
    lines = []
    for i in range(0, len(data), 16):
        lines.append("\t" + " ".join("0x%02x," % b for b in data[i:i + 16]))
    with open(dst, "w") as f:
        f.write("/* cluster_lua: generated from %s by embed_lua.py. */\n"
                % src.split("/")[-1])
        f.write('#include "cluster_lua.h"\n\n')
        f.write("const char cluster_lua[] = {\n")
        f.write("\n".join(lines))
        f.write("\n\t0x00\n};\n\n")
        f.write("const size_t cluster_lua_len = %d;\n" % len(data))


main()
