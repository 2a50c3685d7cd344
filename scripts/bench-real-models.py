#!/usr/bin/python3
"""Full-size convnets for the real-size rows of `npm run bench` (issue 13; scripts/bench-real.ts).

Five models at 224x224x3 with seeded random weights, made at bench time and never shipped:

  zf        the paper's Fig. 3 widths (Zeiler & Fergus 2014): conv1 96 7x7/2, 3x3/2 max-pool, LRN;
            conv2 256 5x5/2, pool, LRN; conv3 384, conv4 384, conv5 256 3x3; pool; fc 4096-4096-1000
  alexnet   torchvision's AlexNet, layer for layer
  vgg11     torchvision's vgg11 (configuration A, no batch norm)
  resnet18  torchvision's resnet18 (BasicBlocks [2, 2, 2, 2])
  mobilenet_v2  torchvision's own mobilenet_v2 (where torchvision is installed); projections from
            the middle block's expansion ReLU6, with ReLU6 rectifying the signal as ReLU does

torchvision is not a Debian dependency here, so the topologies are written out below (MobileNetV2
excepted: it is measured only where torchvision is installed); module names
follow torchvision's, so the ONNX tensor names are those of users' exports.

Two commands, each printing one JSON line (the last line of stdout):

  bench-real-models.py export MODEL DIR
      writes DIR/MODEL.onnx with torch.onnx.export (opset 13, dynamic batch; LocalResponseNorm
      arrives as PyTorch's primitive subgraph, as in users' files) and names the ONNX tensor of the
      layer the bench projects from: ZF's and AlexNet's relu after conv5, VGG11's last conv ReLU,
      ResNet18's layer4 output.

  bench-real-models.py reference MODEL DIR --channel C --position Y X [--ours NAME=FILE ...]
      rebuilds the same weights (same seed), then times, in interleaved rounds, PyTorch autograd's
      deconvnet projection of that activation (make-fixtures.py's backward rules) including its
      forward pass, that forward pass alone (backward = the difference) and a plain no_grad
      forward; medians and best rounds. With --ours, the cosine of each of our projections
      (C*H*W float32 files) against PyTorch's.

Run with Debian's python3-torch (1.13) and python3-onnx; 2 threads, like the rest of the bench.
"""
import argparse
import importlib.util
import json
import os
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, '..', 'src-main', 'core', 'deconv', 'fixtures')
sys.dont_write_bytecode = True  # keep __pycache__ out of the fixture folder


def _load_make_fixtures():
    """The fixtures' reference: deconv_rules, projection, seeded_input (the TypeScript side's mulberry32)."""
    sys.path.insert(0, FIXTURES)
    spec = importlib.util.spec_from_file_location('make_fixtures', os.path.join(FIXTURES, 'make-fixtures.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


mf = _load_make_fixtures()


def _load_modern_rules():
    """make-modern-fixtures.py's rules for modern activations and SE gates (it imports torchvision)."""
    spec = importlib.util.spec_from_file_location('make_modern_fixtures', os.path.join(FIXTURES, 'make-modern-fixtures.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.modern_rules

INPUT_SEED = 224  # the input is mulberry32(224) draws in [-1, 1); bench-real-child.ts draws the same
WEIGHT_SEED = 13


# ---- the topologies -------------------------------------------------------------------------

class ZF(nn.Module):
    """Fig. 3 of the paper: 224 -> 110 -> 55 -> 26 -> 13 -> 13 -> 13 -> 6, then 9216-4096-4096-1000."""

    def __init__(self, num_classes=1000):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 96, 7, stride=2, padding=1)
        self.relu1 = nn.ReLU(inplace=True)
        self.pool1 = nn.MaxPool2d(3, stride=2, padding=1)
        self.norm1 = nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)
        self.conv2 = nn.Conv2d(96, 256, 5, stride=2)
        self.relu2 = nn.ReLU(inplace=True)
        self.pool2 = nn.MaxPool2d(3, stride=2, padding=1)
        self.norm2 = nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)
        self.conv3 = nn.Conv2d(256, 384, 3, padding=1)
        self.relu3 = nn.ReLU(inplace=True)
        self.conv4 = nn.Conv2d(384, 384, 3, padding=1)
        self.relu4 = nn.ReLU(inplace=True)
        self.conv5 = nn.Conv2d(384, 256, 3, padding=1)
        self.relu5 = nn.ReLU(inplace=True)
        self.pool5 = nn.MaxPool2d(3, stride=2)
        self.fc6 = nn.Linear(256 * 6 * 6, 4096)
        self.relu6 = nn.ReLU(inplace=True)
        self.drop6 = nn.Dropout()
        self.fc7 = nn.Linear(4096, 4096)
        self.relu7 = nn.ReLU(inplace=True)
        self.drop7 = nn.Dropout()
        self.fc8 = nn.Linear(4096, num_classes)

    def forward(self, x):
        x = self.norm1(self.pool1(self.relu1(self.conv1(x))))
        x = self.norm2(self.pool2(self.relu2(self.conv2(x))))
        x = self.relu3(self.conv3(x))
        x = self.relu4(self.conv4(x))
        x = self.pool5(self.relu5(self.conv5(x)))
        x = torch.flatten(x, 1)
        x = self.drop6(self.relu6(self.fc6(x)))
        x = self.drop7(self.relu7(self.fc7(x)))
        return self.fc8(x)


class AlexNet(nn.Module):
    """torchvision.models.AlexNet."""

    def __init__(self, num_classes=1000, dropout=0.5):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(64, 192, kernel_size=5, padding=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(192, 384, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(256, 256, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout),
            nn.Linear(256 * 6 * 6, 4096),
            nn.ReLU(inplace=True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, 4096),
            nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x):
        x = self.features(x)
        x = self.avgpool(x)
        x = torch.flatten(x, 1)
        return self.classifier(x)


class VGG(nn.Module):
    """torchvision.models.VGG without batch norm; make_layers as torchvision's."""

    def __init__(self, cfg, num_classes=1000, dropout=0.5):
        super().__init__()
        layers = []
        in_channels = 3
        for v in cfg:
            if v == 'M':
                layers += [nn.MaxPool2d(kernel_size=2, stride=2)]
            else:
                layers += [nn.Conv2d(in_channels, v, kernel_size=3, padding=1), nn.ReLU(inplace=True)]
                in_channels = v
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096),
            nn.ReLU(True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, 4096),
            nn.ReLU(True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x):
        x = self.features(x)
        x = self.avgpool(x)
        x = torch.flatten(x, 1)
        return self.classifier(x)


VGG11_CFG = [64, 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M']


def conv3x3(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, bias=False)


def conv1x1(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """torchvision.models.resnet.BasicBlock (one ReLU module, applied twice)."""

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class ResNet18(nn.Module):
    """torchvision.models.resnet18: BasicBlock, [2, 2, 2, 2]."""

    def __init__(self, num_classes=1000):
        super().__init__()
        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(64, 2)
        self.layer2 = self._make_layer(128, 2, stride=2)
        self.layer3 = self._make_layer(256, 2, stride=2)
        self.layer4 = self._make_layer(512, 2, stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512, num_classes)

    def _make_layer(self, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes:
            downsample = nn.Sequential(conv1x1(self.inplanes, planes, stride), nn.BatchNorm2d(planes))
        layers = [BasicBlock(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes
        layers += [BasicBlock(self.inplanes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = torch.flatten(self.avgpool(x), 1)
        return self.fc(x)


def mobilenet_v2():
    """torchvision's mobilenet_v2 itself (ReLU6 arrives as Clip(0, 6); issue 15): torchvision is only needed for this one."""
    import torchvision
    return torchvision.models.mobilenet_v2()


# name -> (constructor, the module whose output the bench projects from)
MODELS = {
    'zf': (ZF, 'relu5'),
    'alexnet': (AlexNet, 'features.11'),
    'vgg11': (lambda: VGG(VGG11_CFG), 'features.19'),
    'resnet18': (ResNet18, 'layer4'),
    # The middle block (9 of 18): its expansion's ReLU6, 384 maps of 14x14.
    'mobilenet_v2': (mobilenet_v2, 'features.9.conv.0.2'),
}


def seeded_model(name):
    """The model with seeded weights: He-normal convs and linears, small biases, random BN statistics.
    Deterministic, so `reference` rebuilds exactly what `export` wrote."""
    model = MODELS[name][0]()
    g = torch.Generator().manual_seed(WEIGHT_SEED)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                fan_in = m.weight[0].numel()
                m.weight.copy_(torch.randn(m.weight.shape, generator=g) * np.sqrt(2.0 / fan_in))
                if m.bias is not None:
                    m.bias.copy_((torch.rand(m.bias.shape, generator=g) * 2 - 1) * 0.1)
            elif isinstance(m, nn.BatchNorm2d):
                m.weight.copy_(0.5 + torch.rand(m.weight.shape, generator=g))
                m.bias.copy_(torch.rand(m.bias.shape, generator=g) - 0.5)
                m.running_mean.copy_(torch.rand(m.running_mean.shape, generator=g) - 0.5)
                m.running_var.copy_(0.5 + torch.rand(m.running_var.shape, generator=g))
    # Only the input's gradient is ever asked for.
    return model.eval().requires_grad_(False)


def model_path(name, folder):
    return os.path.join(folder, f'{name}.onnx')


# ---- export ---------------------------------------------------------------------------------

def scope_output(onnx_model, model, module):
    """The ONNX tensor a module produces: the output of the last node in its export scope
    (torch 1.13 names nodes /features/features.11/Relu; a reused ReLU adds relu_1, …). A scope is
    the attribute name, prefixed with the parent's scope where the parent is a Sequential
    (/features/features.9/conv/conv.0/conv.0.2/ for MobileNetV2's features.9.conv.0.2)."""
    modules = dict(model.named_modules())
    parts = module.split('.')
    comps = []
    for i, seg in enumerate(parts):
        parent = modules['.'.join(parts[:i])]
        comps.append(f'{comps[-1]}.{seg}' if comps and isinstance(parent, (nn.Sequential, nn.ModuleList)) else seg)
    prefix = '/' + '/'.join(comps) + '/'
    nodes = [n for n in onnx_model.graph.node if n.name.startswith(prefix)]
    if not nodes:
        raise SystemExit(f'no ONNX node in scope {prefix}')
    return nodes[-1].output[0]


def export(name, folder):
    import onnx

    model = seeded_model(name)
    path = model_path(name, folder)
    t0 = time.perf_counter()
    # As users export: eval mode (Dropout gone, BatchNorm folded into the convs), constants folded.
    mf.export(model, torch.zeros(1, 3, 224, 224), path)
    export_ms = (time.perf_counter() - t0) * 1000
    layer = scope_output(onnx.load(path, load_external_data=False), model, MODELS[name][1])
    return dict(model=name, file=path, sizeBytes=os.path.getsize(path), layer=layer, module=MODELS[name][1],
                params=sum(p.numel() for p in model.parameters()), exportMs=export_ms)


# ---- reference ------------------------------------------------------------------------------

def interleaved_ms(fns, warmup, reps, budget_s):
    """Median and best wall time of each of `fns`, run in turn so that load from elsewhere on the
    machine (it is shared) falls on all of them alike: at least 3 and at most `reps` rounds after
    `warmup`, stopping once `budget_s` seconds went by (the slow models get fewer rounds)."""
    for _ in range(warmup):
        for fn in fns:
            fn()
    times = [[] for _ in fns]
    start = time.perf_counter()
    while len(times[0]) < reps and (len(times[0]) < 3 or time.perf_counter() - start < budget_s):
        for fn, ts in zip(fns, times):
            t0 = time.perf_counter()
            fn()
            ts.append((time.perf_counter() - t0) * 1000)
    return [statistics.median(ts) for ts in times], [min(ts) for ts in times], len(times[0])


def forward_for_projection(model, x, module):
    """What mf.projection does before its backward: the hooked forward pass recording a graph."""
    acts = {}
    handle = dict(model.named_modules())[module].register_forward_hook(lambda m, i, o: acts.__setitem__('a', o))
    xg = x.clone().requires_grad_(True)
    model(xg)
    handle.remove()
    return acts['a']


def cosine(a, b):
    a = a.astype(np.float64).reshape(-1)
    b = b.astype(np.float64).reshape(-1)
    den = np.linalg.norm(a) * np.linalg.norm(b)
    return float(a @ b / den) if den > 0 else (1.0 if not a.any() and not b.any() else 0.0)


def reference(name, folder, channel, position, ours):
    torch.set_num_threads(2)
    model = seeded_model(name)
    module = MODELS[name][1]
    x = mf.seeded_input(INPUT_SEED, (1, 3, 224, 224))
    # ReLU backward = ReLU of the signal, LRN backward = identity (DESIGN §3); the forward pass is unchanged.
    deconv = mf.deconv_rules(model)
    if any(isinstance(m, nn.ReLU6) for m in model.modules()):
        # Modern activations (ReLU6 here) rectify the signal too (make-modern-fixtures.py).
        deconv = _load_modern_rules()(deconv)
    activation = mf.activation(deconv, x, module)
    value = float(activation[channel, position[0], position[1]])

    def plain_forward():  # inference, no graph recorded: what our plain forward is compared with
        with torch.no_grad():
            deconv(x)

    (plain_ms, full_ms, fwd_ms), (plain_best, full_best, fwd_best), rounds = interleaved_ms([
        plain_forward,
        lambda: mf.projection(deconv, x, module, channel, 'single', position),  # forward + backward
        lambda: forward_for_projection(deconv, x, module),                      # its forward alone
    ], warmup=1, reps=9, budget_s=8.0)
    theirs, _ = mf.projection(deconv, x, module, channel, 'single', position)
    cosines = {}
    for item in ours:
        label, file = item.split('=', 1)
        cosines[label] = cosine(np.fromfile(file, dtype='<f4'), theirs)
    return dict(model=name, torch=torch.__version__, threads=torch.get_num_threads(),
                plainForwardMs=plain_ms, projectionMs=full_ms, forwardMs=fwd_ms, backwardMs=full_ms - fwd_ms,
                rounds=rounds, value=value, cosine=cosines,
                best=dict(plainForwardMs=plain_best, projectionMs=full_best, forwardMs=fwd_best, backwardMs=full_best - fwd_best))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest='command', required=True)
    e = sub.add_parser('export')
    e.add_argument('model', choices=MODELS)
    e.add_argument('dir')
    r = sub.add_parser('reference')
    r.add_argument('model', choices=MODELS)
    r.add_argument('dir')
    r.add_argument('--channel', type=int, required=True)
    r.add_argument('--position', type=int, nargs=2, required=True)
    r.add_argument('--ours', action='append', default=[], help='LABEL=FILE: a C*H*W float32 projection to compare')
    args = ap.parse_args()
    torch.set_num_threads(2)
    if args.command == 'export':
        out = export(args.model, args.dir)
    else:
        out = reference(args.model, args.dir, args.channel, tuple(args.position), args.ours)
    print(json.dumps(out))


if __name__ == '__main__':
    main()
