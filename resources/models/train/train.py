#!/usr/bin/python3
"""Train Convscope's two demo models on Fashion-MNIST and write everything under resources/.

alex-mini  conv1 11x11 stride 4, no filter renormalisation   (the paper's Fig. 6(b))
zf-mini    conv1 7x7 stride 2, feature-scale clipping         (Fig. 6(c); the app's default model)
           plus ONNX checkpoints after epochs 1, 2, 5 and 10  (Fig. 4)

Run from anywhere:  /usr/bin/python3 resources/models/train/train.py
Needs only Debian packages: python3-torch python3-torchvision (for PIL) dataset-fashion-mnist
python3-onnx (for the export check). See README.md beside this file.
"""
import argparse
import gzip
import json
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
RESOURCES = os.path.dirname(os.path.dirname(HERE))
DATA = '/usr/share/datasets/fashion-mnist'

CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat',
           'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']
FOLDERS = ['t-shirt-top', 'trouser', 'pullover', 'dress', 'coat',
           'sandal', 'shirt', 'sneaker', 'bag', 'ankle-boot']
SAMPLES_PER_CLASS = 30
INPUT = 64
SEED = 2014
# Checkpoints are what the app's feature-evolution view (the paper's Fig. 4) loads.
CHECKPOINT_EPOCHS = (1, 2, 5, 10)
PREPROCESS = 'bilinear align_corners=False 28->64, (x/255-mean)/std'

# Per-architecture settings. Only the first layer geometry (and hence conv2's stride, so
# both reach 8x8 at conv2) and the clipping differ; widths and the recipe are shared.
ARCHS = {
    'alex-mini': dict(conv1=(11, 4, 5), conv2_stride=1, clip=None, epochs=12),
    'zf-mini': dict(conv1=(7, 2, 3), conv2_stride=2, clip=0.1, epochs=12),
}
WIDTHS = dict(conv1=32, conv2=64, conv3=96, conv4=96, conv5=64, fc=256)
OPTIMIZER = 'sgd'
BATCH = 128
LR = 0.05
MOMENTUM = 0.9
WEIGHT_DECAY = 5e-4
WARMUP_STEPS = 200
CONV1_INIT_STD = 0.01


def read_idx(name):
    with gzip.open(os.path.join(DATA, name), 'rb') as f:
        raw = f.read()
    magic = int.from_bytes(raw[0:4], 'big')
    if magic == 2051:  # images: n, rows, cols
        n, rows, cols = (int.from_bytes(raw[i:i + 4], 'big') for i in (4, 8, 12))
        return np.frombuffer(raw, np.uint8, offset=16).reshape(n, rows, cols).copy()
    if magic == 2049:  # labels: n
        n = int.from_bytes(raw[4:8], 'big')
        return np.frombuffer(raw, np.uint8, offset=8, count=n).astype(np.int64)
    raise ValueError(f'{name}: unexpected IDX magic {magic}')


def load_data():
    xtr = read_idx('train-images-idx3-ubyte.gz')
    ytr = read_idx('train-labels-idx1-ubyte.gz')
    xte = read_idx('t10k-images-idx3-ubyte.gz')
    yte = read_idx('t10k-labels-idx1-ubyte.gz')
    assert xtr.shape == (60000, 28, 28) and xte.shape == (10000, 28, 28)
    return xtr, ytr, xte, yte


class Normalizer:
    """The one preprocessing used for training, evaluation and the sidecars."""

    def __init__(self, mean, std):
        self.mean, self.std = mean, std

    def __call__(self, pixels):
        # pixels: uint8 [B, 28, 28]. Upscaling is in float (no rounding back to 8 bits),
        # without antialiasing (irrelevant when enlarging anyway).
        x = pixels.float().unsqueeze(1)
        x = F.interpolate(x, size=(INPUT, INPUT), mode='bilinear', align_corners=False,
                          antialias=False)
        return (x / 255.0 - self.mean) / self.std


def augment(pixels, gen):
    """Random horizontal flip and a random translation of up to 2 pixels (at 28x28)."""
    b = pixels.shape[0]
    flip = torch.rand(b, generator=gen) < 0.5
    pixels = torch.where(flip[:, None, None], pixels.flip(-1), pixels)
    padded = F.pad(pixels, (2, 2, 2, 2))  # background of Fashion-MNIST is 0
    dy = torch.randint(0, 5, (b,), generator=gen)
    dx = torch.randint(0, 5, (b,), generator=gen)
    ar = torch.arange(28)
    rows = (dy[:, None] + ar)[:, :, None]
    cols = (dx[:, None] + ar)[:, None, :]
    return padded[torch.arange(b)[:, None, None], rows, cols]


class MiniConvNet(nn.Module):
    """A miniature of the paper's Fig. 3 model for 1x64x64 inputs.

    Attribute names become the ONNX node/tensor scopes (/conv1/Conv_output_0 ...).
    """

    def __init__(self, arch):
        super().__init__()
        k1, s1, p1 = ARCHS[arch]['conv1']
        w = WIDTHS
        self.conv1 = nn.Conv2d(1, w['conv1'], k1, stride=s1, padding=p1)
        self.relu1 = nn.ReLU()
        self.pool1 = nn.MaxPool2d(3, stride=2, padding=1)
        self.norm1 = nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)
        self.conv2 = nn.Conv2d(w['conv1'], w['conv2'], 5, stride=ARCHS[arch]['conv2_stride'],
                               padding=2)
        self.relu2 = nn.ReLU()
        self.pool2 = nn.MaxPool2d(3, stride=2, padding=1)
        self.norm2 = nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)
        self.conv3 = nn.Conv2d(w['conv2'], w['conv3'], 3, padding=1)
        self.relu3 = nn.ReLU()
        self.conv4 = nn.Conv2d(w['conv3'], w['conv4'], 3, padding=1)
        self.relu4 = nn.ReLU()
        self.conv5 = nn.Conv2d(w['conv4'], w['conv5'], 3, padding=1)
        self.relu5 = nn.ReLU()
        self.pool5 = nn.MaxPool2d(3, stride=2, padding=1)
        self.flatten = nn.Flatten()
        self.fc6 = nn.Linear(w['conv5'] * 2 * 2, w['fc'])
        self.relu6 = nn.ReLU()
        self.drop6 = nn.Dropout(0.5)
        self.fc7 = nn.Linear(w['fc'], w['fc'])
        self.relu7 = nn.ReLU()
        self.drop7 = nn.Dropout(0.5)
        self.fc8 = nn.Linear(w['fc'], 10)
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(m.weight, mode='fan_in', nonlinearity='relu')
                nn.init.zeros_(m.bias)
        # The paper initialised with 1e-2; doing so for conv1 (only) means its filters are
        # learned rather than a perturbed He draw, and lets the unclipped model show the
        # growth that feature-scale clipping exists to stop.
        nn.init.normal_(self.conv1.weight, std=CONV1_INIT_STD)
        nn.init.normal_(self.fc8.weight, std=0.01)

    def forward(self, x):
        x = self.norm1(self.pool1(self.relu1(self.conv1(x))))
        x = self.norm2(self.pool2(self.relu2(self.conv2(x))))
        x = self.relu3(self.conv3(x))
        x = self.relu4(self.conv4(x))
        x = self.pool5(self.relu5(self.conv5(x)))
        x = self.drop6(self.relu6(self.fc6(self.flatten(x))))
        x = self.drop7(self.relu7(self.fc7(x)))
        return self.fc8(x)

    def convs(self):
        return [(n, m) for n, m in self.named_children() if isinstance(m, nn.Conv2d)]


def filter_rms(conv):
    w = conv.weight.detach()
    return w.reshape(w.shape[0], -1).pow(2).mean(1).sqrt()


@torch.no_grad()
def clip_filters(model, radius):
    """Feature-scale clipping: renormalise every conv filter whose RMS exceeds the radius."""
    clipped = {}
    for name, conv in model.convs():
        rms = filter_rms(conv)
        over = rms > radius
        if over.any():
            scale = torch.where(over, radius / rms, torch.ones_like(rms))
            conv.weight.mul_(scale.view(-1, 1, 1, 1))
        clipped[name] = int(over.sum())
    return clipped


def rms_stats(model, radius):
    out = {}
    for name, conv in model.convs():
        r = filter_rms(conv).numpy()
        s = dict(min=float(r.min()), median=float(np.median(r)), max=float(r.max()),
                 maxOverMedian=float(r.max() / np.median(r)))
        if radius is not None:
            s['atRadius'] = int((r >= radius * 0.999).sum())
        out[name] = s
    return out


@torch.no_grad()
def predict(model, norm, pixels, batch=1000):
    model.eval()
    preds = []
    for i in range(0, len(pixels), batch):
        preds.append(model(norm(torch.from_numpy(pixels[i:i + batch]))).argmax(1))
    return torch.cat(preds).numpy()


def export_onnx(model, path):
    model.eval()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    torch.onnx.export(model, torch.zeros(1, 1, INPUT, INPUT), path, opset_version=13,
                      input_names=['input'], output_names=['logits'],
                      dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}},
                      do_constant_folding=True)
    return check_onnx(path)


def check_onnx(path):
    import onnx
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    ops = [n.op_type for n in m.graph.node]
    # nn.LocalResponseNorm has no ONNX symbolic in torch 1.13: it is traced into primitives.
    assert 'LRN' not in ops
    for op in ('Conv', 'Relu', 'MaxPool', 'AveragePool', 'Pow', 'Div', 'Gemm'):
        assert op in ops, f'{path}: no {op} node'
    assert [i.name for i in m.graph.input] == ['input']
    assert [o.name for o in m.graph.output] == ['logits']
    return sorted(set(ops))


def write_sidecar(model_path, labels_rel, mean, std):
    side = os.path.splitext(model_path)[0] + '.convscope.json'
    with open(side, 'w') as f:
        json.dump({'inputSize': [INPUT, INPUT], 'channels': 'gray', 'scale': 255,
                   'mean': [mean], 'std': [std], 'resize': 'stretch', 'labels': labels_rel},
                  f, indent=2)
        f.write('\n')


def write_samples(xte, yte):
    """First 30 test images of each class, by test-set index, as the original 28x28 PNGs."""
    root = os.path.join(RESOURCES, 'samples', 'fashion-mnist')
    chosen = []
    for c, folder in enumerate(FOLDERS):
        os.makedirs(os.path.join(root, folder), exist_ok=True)
        idx = np.flatnonzero(yte == c)[:SAMPLES_PER_CLASS]
        for i in idx:
            rel = f'fashion-mnist/{folder}/{i:05d}.png'
            Image.fromarray(xte[i], mode='L').save(os.path.join(RESOURCES, 'samples', rel))
            chosen.append((rel, c, int(i)))
    return chosen


def read_samples(chosen):
    """Read the shipped PNGs back, so the reference numbers are for the files as saved."""
    pixels = []
    for rel, _, _ in chosen:
        img = Image.open(os.path.join(RESOURCES, 'samples', rel))
        assert img.mode == 'L' and img.size == (28, 28)
        pixels.append(np.asarray(img, dtype=np.uint8))
    return np.stack(pixels)


def make_optimizer(model):
    if OPTIMIZER == 'adam':
        return torch.optim.Adam(model.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)
    return torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM,
                           weight_decay=WEIGHT_DECAY)


def train(arch, data, norm, args, on_epoch):
    xtr, ytr, xte, yte = data
    cfg = ARCHS[arch]
    epochs = args.epochs or cfg['epochs']
    radius = None if args.no_clip else cfg['clip']
    if args.clip_radius is not None and radius is not None:
        radius = args.clip_radius

    torch.manual_seed(SEED)
    np.random.seed(SEED)
    gen = torch.Generator().manual_seed(SEED)
    model = MiniConvNet(arch)
    if radius is not None:
        clip_filters(model, radius)
    opt = make_optimizer(model)
    steps_per_epoch = len(xtr) // BATCH  # drop the last partial batch
    total = steps_per_epoch * epochs

    def lr_at(step):  # linear warm-up, then cosine decay to 0 over the whole run
        if step < WARMUP_STEPS:
            return LR * (step + 1) / WARMUP_STEPS
        t = (step - WARMUP_STEPS) / max(1, total - WARMUP_STEPS)
        return LR * 0.5 * (1 + np.cos(np.pi * t))

    xtr_t, ytr_t = torch.from_numpy(xtr), torch.from_numpy(ytr)
    log = dict(arch=arch, epochs=epochs, clipRadius=radius, epochsLog=[],
               initialFilterRms=rms_stats(model, radius))
    t0 = time.time()
    step = 0
    for epoch in range(1, epochs + 1):
        model.train()
        te = time.time()
        perm = torch.randperm(len(xtr), generator=gen)
        loss_sum, correct, seen, clipped_steps = 0.0, 0, 0, {}
        for b in range(steps_per_epoch):
            idx = perm[b * BATCH:(b + 1) * BATCH]
            x = norm(augment(xtr_t[idx], gen))
            y = ytr_t[idx]
            for g in opt.param_groups:
                g['lr'] = lr_at(step)
            out = model(x)
            loss = F.cross_entropy(out, y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if radius is not None:
                for k, v in clip_filters(model, radius).items():
                    clipped_steps[k] = clipped_steps.get(k, 0) + (v > 0)
            step += 1
            loss_sum += float(loss) * len(y)
            correct += int((out.argmax(1) == y).sum())
            seen += len(y)
            if args.max_steps and b + 1 >= args.max_steps:
                break
        train_time = time.time() - te
        acc = float((predict(model, norm, xte) == yte).mean())
        entry = dict(epoch=epoch, trainLoss=loss_sum / seen, trainAccuracy=correct / seen,
                     testAccuracy=acc, epochSeconds=round(train_time, 1),
                     elapsedSeconds=round(time.time() - t0, 1),
                     filterRms=rms_stats(model, radius))
        if radius is not None:
            entry['stepsWithClipping'] = clipped_steps
        log['epochsLog'].append(entry)
        print(f'{arch} epoch {epoch}/{epochs}: loss {entry["trainLoss"]:.4f} '
              f'train {entry["trainAccuracy"]:.4f} test {acc:.4f} '
              f'({train_time:.0f}s) conv1 rms median {entry["filterRms"]["conv1"]["median"]:.3f} '
              f'max {entry["filterRms"]["conv1"]["max"]:.3f}', flush=True)
        on_epoch(model, epoch, epochs, acc)
        if args.stop_after and epoch >= args.stop_after:
            break
    log['trainSeconds'] = round(time.time() - t0, 1)
    return model, log


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--models', default='alex-mini,zf-mini')
    ap.add_argument('--epochs', type=int, default=0, help='override the epoch count (pilots)')
    ap.add_argument('--max-steps', type=int, default=0, help='steps per epoch (timing pilots)')
    ap.add_argument('--stop-after', type=int, default=0,
                    help='stop after this epoch, keeping the full schedule (pilots)')
    ap.add_argument('--no-clip', action='store_true', help='disable clipping (radius pilot)')
    ap.add_argument('--clip-radius', type=float, default=None)
    ap.add_argument('--dry-run', action='store_true', help='train and log, write nothing')
    args = ap.parse_args()

    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)
    t_start = time.time()

    data = load_data()
    xtr, ytr, xte, yte = data
    mean = round(float(xtr.astype(np.float64).mean() / 255), 4)
    std = round(float((xtr.astype(np.float64) / 255).std()), 4)
    norm = Normalizer(mean, std)
    print(f'Fashion-MNIST train pixels: mean {mean} std {std}', flush=True)

    if not args.dry_run:
        chosen = write_samples(xte, yte)
        sample_pixels = read_samples(chosen)
        sample_labels = np.array([c for _, c, _ in chosen])
        assert np.array_equal(sample_pixels, xte[[i for _, _, i in chosen]])

    logs = {}
    for arch in args.models.split(','):
        folder = os.path.join(RESOURCES, 'models', arch)
        checkpoints = {}

        def evaluate(model):
            preds = predict(model, norm, sample_pixels)
            return float((preds == sample_labels).mean()), preds

        def on_epoch(model, epoch, epochs, acc):
            if args.dry_run or arch != 'zf-mini' or epoch not in CHECKPOINT_EPOCHS:
                return
            path = os.path.join(folder, 'checkpoints', f'epoch-{epoch:02d}.onnx')
            export_onnx(model, path)
            write_sidecar(path, '../labels.txt', mean, std)
            s_acc, _ = evaluate(model)
            checkpoints[f'epoch-{epoch:02d}'] = dict(testAccuracy=acc, samplesAccuracy=s_acc)

        model, log = train(arch, data, norm, args, on_epoch)
        logs[arch] = log
        if args.dry_run:
            continue
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, f'{arch}.onnx')
        log['onnxOps'] = export_onnx(model, path)
        write_sidecar(path, 'labels.txt', mean, std)
        with open(os.path.join(folder, 'labels.txt'), 'w') as f:
            f.write('\n'.join(CLASSES) + '\n')
        s_acc, preds = evaluate(model)
        ref = dict(testAccuracy=log['epochsLog'][-1]['testAccuracy'], samplesAccuracy=s_acc,
                   samples={rel: int(p) for (rel, _, _), p in zip(chosen, preds)},
                   preprocess=PREPROCESS)
        if checkpoints:
            ref['checkpoints'] = checkpoints
        with open(os.path.join(folder, 'reference.json'), 'w') as f:
            json.dump(ref, f, indent=2)
            f.write('\n')
        print(f'{arch}: test {ref["testAccuracy"]:.4f} samples {s_acc:.4f} '
              f'trained in {log["trainSeconds"]:.0f}s', flush=True)

    summary = dict(torch=torch.__version__, threads=torch.get_num_threads(), seed=SEED,
                   mean=mean, std=std, batch=BATCH, lr=LR, momentum=MOMENTUM,
                   weightDecay=WEIGHT_DECAY, warmupSteps=WARMUP_STEPS, widths=WIDTHS,
                   totalSeconds=round(time.time() - t_start, 1), models=logs)
    if args.dry_run:
        print(json.dumps(summary, indent=1))
    else:
        with open(os.path.join(HERE, 'train-log.json'), 'w') as f:
            json.dump(summary, f, indent=1)
            f.write('\n')
    print(f'done in {time.time() - t_start:.0f}s', flush=True)


if __name__ == '__main__':
    main()
