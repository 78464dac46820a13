"""Put python/ on a virtualenv's path (an editable install of the `apsp` package).

The extension module is built by cargo together with the CLI and the Rust tests (see
the Makefile), so no second compile is needed; this only writes a .pth file.
"""

import pathlib
import sys
import sysconfig

venv = pathlib.Path(sys.argv[1]).resolve()
site = pathlib.Path(sysconfig.get_paths(vars={"base": str(venv), "platbase": str(venv)})["purelib"])
src = pathlib.Path(__file__).resolve().parent.parent / "python"
(site / "apsp-dev.pth").write_text(str(src) + "\n")
print(f"apsp (dev) -> {src} in {site}")
