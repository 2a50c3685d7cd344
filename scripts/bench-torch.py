"""PyTorch autograd reference timing for `npm run bench`: one deconvnet projection of conv5 (argmax of
a map) of the ZF-like 224x224x3 fixture model, forward pass included, with 2 threads.

Same model weights (loaded from the ONNX file) and the same backward rules as the fixtures
(src-main/core/deconv/fixtures/make-fixtures.py). Prints one JSON line.
"""
import importlib.util
import json
import os
import statistics
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, '..', 'src-main', 'core', 'deconv', 'fixtures')
sys.path.insert(0, FIX)
spec = importlib.util.spec_from_file_location('make_fixtures', os.path.join(FIX, 'make-fixtures.py'))
mf = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mf)
from fixture_models import ZfLike  # noqa: E402

torch.set_num_threads(2)
model = mf.load_onnx_weights(ZfLike(), os.path.join(FIX, 'zf224.onnx')).eval()
mf.deconv_rules(model)
x = mf.seeded_input(224, (1, 3, 224, 224))
channel = 0
act = mf.activation(model, x, 'relu5')
position, _ = mf.argmax_2d(act[channel])
times = []
for i in range(25):
    t0 = time.perf_counter()
    mf.projection(model, x, 'relu5', channel, 'single', position)
    times.append((time.perf_counter() - t0) * 1000)
print(json.dumps({'torch': torch.__version__, 'threads': torch.get_num_threads(), 'medianMs': statistics.median(times[5:])}))
