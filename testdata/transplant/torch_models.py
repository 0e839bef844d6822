#!/usr/bin/env python
"""Real PyTorch truth for `initkit transplant --map` (TorchModuleTransplantIT); run by the torch venv
(testdata/requirements-torch.txt), no Keras.

    python testdata/transplant/torch_models.py DIR
        For each model below: builds it from torch.nn modules with a fixed seed (torch's own
        initialization; BatchNorm running statistics from forward passes in training mode and
        LayerNorm/BatchNorm affine parameters drawn at random so that none is trivial), puts it in
        eval mode, and writes DIR/NAME.safetensors (its state_dict() through
        safetensors.torch.save_file), DIR/NAME_input.npy (an input batch; several inputs as
        NAME_input0.npy, NAME_input1.npy) and DIR/NAME_torch.npy (torch's outputs on it, no grad).
        Prints one JSON line per model: its keys and torch's version.

Models (the Keras twins are in torch_keras.py):
    cnn          Conv2d(pad 1) + BatchNorm2d + ReLU, Conv2d(stride 2, pad 1) + BatchNorm2d + ReLU,
                 AdaptiveAvgPool2d(1) + flatten + Linear           -> shipped mapping torch-cnn
    cnn_flatten  Conv2d + BatchNorm2d + MaxPool2d, Conv2d(pad 1) + MaxPool2d, nn.Flatten (NCHW order)
                 + Linear + ReLU + Linear                          -> cnn_flatten.map
    lstm         nn.LSTM(2 layers, batch_first) + Linear on the last step -> torch-lstm
    gru          nn.GRU(2 layers, batch_first) + Linear on the last step  -> torch-gru
    transformer  nn.TransformerEncoder of 2 nn.TransformerEncoderLayer (batch_first, GELU, fused
                 in_proj_weight) + Linear                          -> torch-transformer
    bert         a BERT encoder written with torch.nn modules under Hugging Face BertModel's
                 names (Embedding, LayerNorm eps 1e-12, exact GELU)  -> bert
"""
import json
import math
import sys
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file
from torch import nn

NAMES = ("cnn", "cnn_flatten", "lstm", "gru", "transformer", "bert")


class Cnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 16, 3, stride=2, padding=1)
        self.bn2 = nn.BatchNorm2d(16)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        x = torch.relu(self.bn2(self.conv2(x)))
        return self.fc(torch.flatten(self.pool(x), 1))


class CnnFlatten(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.bn1 = nn.BatchNorm2d(6)
        self.conv2 = nn.Conv2d(6, 8, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(8 * 3 * 3, 16)
        self.fc2 = nn.Linear(16, 10)

    def forward(self, x):
        x = self.pool(torch.relu(self.bn1(self.conv1(x))))
        x = self.pool(torch.relu(self.conv2(x)))
        return self.fc2(torch.relu(self.fc1(self.flatten(x))))


class Recurrent(nn.Module):
    def __init__(self, kind):
        super().__init__()
        self.rnn = kind(4, 8, num_layers=2, batch_first=True)
        self.fc = nn.Linear(8, 3)

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.fc(y[:, -1])


class Transformer(nn.Module):
    def __init__(self):
        super().__init__()
        layer = nn.TransformerEncoderLayer(
            16, 4, dim_feedforward=32, dropout=0.0, activation="gelu", batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.head = nn.Linear(16, 3)

    def forward(self, x):
        return self.head(self.encoder(x))


class BertSelfAttention(nn.Module):
    def __init__(self, hidden, heads):
        super().__init__()
        self.heads = heads
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)

    def forward(self, x):
        b, s, h = x.shape

        def split(t):
            return t.view(b, s, self.heads, h // self.heads).transpose(1, 2)

        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        scores = q @ k.transpose(-1, -2) / math.sqrt(h // self.heads)
        return (scores.softmax(-1) @ v).transpose(1, 2).reshape(b, s, h)


class BertAttention(nn.Module):
    def __init__(self, hidden, heads):
        super().__init__()
        self.self = BertSelfAttention(hidden, heads)
        self.output = nn.Module()
        self.output.dense = nn.Linear(hidden, hidden)
        self.output.LayerNorm = nn.LayerNorm(hidden, eps=1e-12)

    def forward(self, x):
        return self.output.LayerNorm(x + self.output.dense(self.self(x)))


class BertLayer(nn.Module):
    def __init__(self, hidden, heads, inner):
        super().__init__()
        self.attention = BertAttention(hidden, heads)
        self.intermediate = nn.Module()
        self.intermediate.dense = nn.Linear(hidden, inner)
        self.output = nn.Module()
        self.output.dense = nn.Linear(inner, hidden)
        self.output.LayerNorm = nn.LayerNorm(hidden, eps=1e-12)

    def forward(self, x):
        x = self.attention(x)
        h = nn.functional.gelu(self.intermediate.dense(x))  # exact (erf) GELU, as BERT's "gelu"
        return self.output.LayerNorm(x + self.output.dense(h))


class Bert(nn.Module):
    def __init__(self, vocab=30, positions=6, hidden=8, heads=2, inner=16, layers=2):
        super().__init__()
        self.embeddings = nn.Module()
        self.embeddings.word_embeddings = nn.Embedding(vocab, hidden)
        self.embeddings.position_embeddings = nn.Embedding(positions, hidden)
        self.embeddings.LayerNorm = nn.LayerNorm(hidden, eps=1e-12)
        self.encoder = nn.Module()
        self.encoder.layer = nn.ModuleList(BertLayer(hidden, heads, inner) for _ in range(layers))

    def forward(self, ids, pos):
        e = self.embeddings
        x = e.LayerNorm(e.word_embeddings(ids) + e.position_embeddings(pos))
        for layer in self.encoder.layer:
            x = layer(x)
        return x


def build(name):
    return {
        "cnn": Cnn,
        "cnn_flatten": CnnFlatten,
        "lstm": lambda: Recurrent(nn.LSTM),
        "gru": lambda: Recurrent(nn.GRU),
        "transformer": Transformer,
        "bert": Bert,
    }[name]()


def inputs(name, g):
    if name.startswith("cnn"):
        return [torch.randn(4, 3, 16, 16, generator=g)]
    if name == "transformer":
        return [torch.randn(4, 6, 16, generator=g)]
    if name == "bert":
        return [torch.randint(0, 30, (4, 6), generator=g), torch.arange(6).repeat(4, 1)]
    return [torch.randn(4, 7, 4, generator=g)]


def settle(model, name, g):
    """No trivial parameter: random norm affines; BatchNorm statistics from training-mode passes."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.BatchNorm2d, nn.LayerNorm)):
                m.weight.copy_(1 + 0.3 * torch.randn(m.weight.shape, generator=g))
                m.bias.copy_(0.3 * torch.randn(m.bias.shape, generator=g))
        if name.startswith("cnn"):
            model.train()
            for _ in range(3):
                model(2 * torch.randn(8, 3, 16, 16, generator=g) + 0.5)
    model.eval()


def make(out):
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(1)
    for i, name in enumerate(NAMES):
        torch.manual_seed(100 + i)
        g = torch.Generator().manual_seed(200 + i)
        model = build(name)
        settle(model, name, g)
        x = inputs(name, g)
        with torch.no_grad():
            y = model(*x)
        # state_dict() values may share storage (none here); contiguous copies keep save_file happy
        state = {k: v.contiguous() for k, v in model.state_dict().items()}
        save_file(state, str(out / f"{name}.safetensors"))
        if len(x) == 1:
            np.save(out / f"{name}_input.npy", x[0].numpy())
        else:
            for j, t in enumerate(x):
                np.save(out / f"{name}_input{j}.npy", t.numpy())
        np.save(out / f"{name}_torch.npy", y.numpy())
        print(json.dumps({"model": name, "torch": torch.__version__, "keys": list(state)}))


if __name__ == "__main__":
    make(Path(sys.argv[1]))
