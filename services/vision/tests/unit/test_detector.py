"""The committed NanoDet-m detector on real photos that ship inside the scikit-image wheel."""

from pathlib import Path

import numpy as np
import pytest
from microbrain_vision.detector import COCO80, DECODERS, Detector, ModelConfig, nms

MODEL = Path(__file__).resolve().parents[4] / "models" / "nanodet-m.onnx"
if not MODEL.is_file():
    pytest.skip(f"{MODEL} is absent: run `make model`", allow_module_level=True)

data = pytest.importorskip("skimage.data", reason="scikit-image (a dev dependency) ships the test photos")


def bgr(rgb: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(rgb[..., ::-1])


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector(ModelConfig(MODEL))


@pytest.fixture(scope="module")
def photos() -> dict[str, np.ndarray]:
    left, right, _ = data.stereo_motorcycle()
    return {
        "astronaut": bgr(data.astronaut()),
        "coffee": bgr(data.coffee()),
        "camera": data.camera(),  # grey
        "motorcycle_left": bgr(left),
        "motorcycle_right": bgr(right),
    }


def names(found) -> set[str]:
    return {d.class_name for d in found}


def best(found, name: str):
    return max((d for d in found if d.class_name == name), key=lambda d: d.score)


def test_finds_the_astronaut_and_boxes_her(detector, photos) -> None:
    [found] = detector.detect([photos["astronaut"]])
    person = best(found, "person")
    assert person.score >= detector.config.score_threshold
    x1, y1, x2, y2 = person.box
    # She fills the left two-thirds of the 512×512 picture, head near the top, cut off at the bottom.
    assert x1 < 60 and y1 < 60 and 300 < x2 < 420 and y2 > 450


def test_finds_the_motorcycle_in_both_stereo_views(detector, photos) -> None:
    for view in ("motorcycle_left", "motorcycle_right"):
        [found] = detector.detect([photos[view]])
        bike = best(found, "motorcycle")
        assert bike.score >= 0.5
        x1, y1, x2, y2 = bike.box
        assert (x2 - x1) * (y2 - y1) > 0.4 * 741 * 500  # the bike fills most of the frame


def test_finds_the_cup_and_nothing_absurd(detector, photos) -> None:
    [found] = detector.detect([photos["coffee"]])
    assert "cup" in names(found)
    assert not names(found) & {"motorcycle", "bicycle", "person", "car"}


def test_finds_the_cameraman_in_a_grey_picture(detector, photos) -> None:
    [found] = detector.detect([photos["camera"]])
    assert best(found, "person").score >= 0.5
    assert "motorcycle" not in names(found)


def test_batch_gives_what_one_by_one_gives(detector, photos) -> None:
    images = list(photos.values())
    together = detector.detect(images)
    alone = [detector.detect([im])[0] for im in images]
    assert len(together) == len(images)
    for a, b in zip(together, alone, strict=True):
        assert [d.class_name for d in a] == [d.class_name for d in b]
        np.testing.assert_allclose([d.score for d in a], [d.score for d in b], atol=1e-4)
        np.testing.assert_allclose([d.box for d in a], [d.box for d in b], atol=0.05)


def test_letterbox_maps_boxes_back_to_the_image(photos) -> None:
    det = Detector(ModelConfig(MODEL, letterbox=True))
    [found] = det.detect([photos["motorcycle_left"]])
    x1, y1, x2, y2 = best(found, "motorcycle").box
    assert 50 < x1 < 160 and 20 < y1 < 120 and 630 < x2 <= 741 and 400 < y2 <= 500


def test_model_version_names_the_model_and_its_hash(detector) -> None:
    assert detector.model_version.startswith("nanodet-m@human-models-3.0.4+sha256:")
    committed = (MODEL.parent / "nanodet-m.onnx.sha256").read_text().split()[0]
    assert detector.model_version.endswith(committed[:12])


def test_no_images_no_work(detector) -> None:
    assert detector.detect([]) == []


def test_refuses_what_it_cannot_run(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="make model"):
        Detector(ModelConfig(tmp_path / "absent.onnx"))
    with pytest.raises(ValueError, match="unknown decoder"):
        Detector(ModelConfig(MODEL, decoder="nope"))


def test_opencv_dnn_reads_the_model_and_agrees(detector, photos) -> None:
    cv2 = pytest.importorskip("cv2")
    net = cv2.dnn.readNetFromONNX(str(MODEL))
    x = detector.prepare(photos["astronaut"])[None]
    net.setInput(x)
    layer_names = net.getUnconnectedOutLayersNames()
    ours = dict(zip(detector.output_names, detector.infer(x), strict=True))
    for name, out in zip(layer_names, net.forward(layer_names), strict=True):
        np.testing.assert_allclose(out, ours[name], atol=1e-3)


def test_nms_is_class_wise() -> None:
    boxes = np.array([[0, 0, 10, 10], [1, 1, 10, 10], [0, 0, 10, 10]], np.float32)
    keep = nms(boxes, np.array([0.9, 0.8, 0.7], np.float32), np.array([0, 0, 1]), iou=0.5, limit=10)
    assert keep.tolist() == [0, 2]


def test_yolov8_decoder_reads_centre_size_boxes() -> None:
    pred = np.zeros((1, 4 + 80, 3), np.float32)
    pred[0, :4, 1] = [100, 50, 40, 20]  # anchor 1: centre (100, 50), 40×20
    pred[0, 4 + COCO80.index("bicycle"), 1] = 0.9
    pred[0, 4 + COCO80.index("person"), 2] = 0.1  # below the threshold
    [cand] = DECODERS["yolov8"]({"output0": pred}, ModelConfig("unused.onnx", decoder="yolov8", input_size=640))
    assert cand.boxes.tolist() == [[80, 40, 120, 60]]
    assert cand.class_ids.tolist() == [COCO80.index("bicycle")]
