"""Copies the model_config attribute of every /work/shared/keras-corpus/h5-full file into
corpus-h5-model-configs.json.gz ({file name: config}), so Java tests can read them without HDF5.

Run with the project venv: .venv/bin/python extract_corpus_configs.py [corpus dir]
"""
import glob
import gzip
import json
import os
import sys

import h5py

corpus = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/keras-corpus"
configs = {}
for path in sorted(glob.glob(os.path.join(corpus, "h5-full", "*"))):
    if not path.endswith((".h5", ".hdf5")):
        continue
    with h5py.File(path, "r") as f:
        text = f.attrs.get("model_config")
    if text is None:
        continue
    configs[os.path.basename(path)] = json.loads(text.decode() if isinstance(text, bytes) else text)
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus-h5-model-configs.json.gz")
with gzip.GzipFile(out, "wb", mtime=0) as f:
    f.write(json.dumps(configs, separators=(",", ":"), sort_keys=True).encode())
print(len(configs), "configs ->", out)
