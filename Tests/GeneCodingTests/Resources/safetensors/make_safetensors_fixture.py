#!/usr/bin/env python3
"""Makes the safetensors fixtures that SafetensorsTests reads, with Hugging Face's own library.

    python3 Tests/GeneCodingTests/Resources/safetensors/make_safetensors_fixture.py

writes, next to this script:

  reference-f32.safetensors  F32 tensors and one metadata pair, written by safetensors.numpy.
                             Our writer must produce the same bytes for the same tensors (one
                             metadata pair only: the reference writes several in hash order).
  mixed-dtypes.safetensors   F16, BF16, F64 and F32 tensors and two metadata pairs. numpy has no
                             bfloat16, so this file goes through safetensors.serialize_file with
                             raw TensorSpecs. Every value is exactly representable in its dtype,
                             so reading it back as Float is exact.

The values are repeated in Tests/GeneCodingTests/Formats/SafetensorsTests.swift; change both.
Made with safetensors 0.8.0 and numpy 2.4.
"""
import os

import numpy as np
from safetensors import TensorSpec, serialize_file
from safetensors.numpy import save_file

HERE = os.path.dirname(os.path.abspath(__file__))


def reference_f32():
    tensors = {
        "encoder.layers.0.attention.query.weight": (np.arange(12, dtype=np.float32) * 0.25 - 1.0).reshape(4, 3),
        "encoder.layers.0.attention.query.bias": np.array([-0.0, 1e-45, 3.4028235e38], dtype=np.float32),
        "classifier.scale": np.array(2.5, dtype=np.float32),  # a scalar: shape []
        "empty": np.zeros((0, 3), dtype=np.float32),
    }
    save_file(tensors, os.path.join(HERE, "reference-f32.safetensors"), metadata={"format": "genecoding"})


def mixed_dtypes():
    half = np.array([1.5, -2.0, 6.1035156e-05, 5.9604645e-08, 65504.0, -0.0], dtype=np.float16)
    double = np.array([[0.1, -1e300], [3.0, 0.5]], dtype=np.float64)  # to Float: 0.1f, -inf, 3, 0.5
    single = np.array([7.0, -7.0], dtype=np.float32)
    # bfloat16 is the top 16 bits of float32; these values have nothing in the low 16 bits.
    brain = (np.array([1.0, -2.5, 3.140625, 1e-3], dtype=np.float32).view(np.uint32) >> 16).astype("<u2")
    keep = [half, double, single, brain]  # alive while serialize_file reads the pointers
    specs = {
        "half": TensorSpec(dtype="float16", shape=[2, 3], data_ptr=half.ctypes.data, data_len=half.nbytes),
        "double": TensorSpec(dtype="float64", shape=[2, 2], data_ptr=double.ctypes.data, data_len=double.nbytes),
        "single": TensorSpec(dtype="float32", shape=[2], data_ptr=single.ctypes.data, data_len=single.nbytes),
        "brain": TensorSpec(dtype="bfloat16", shape=[4], data_ptr=brain.ctypes.data, data_len=brain.nbytes),
    }
    serialize_file(specs, os.path.join(HERE, "mixed-dtypes.safetensors"), metadata={"step": "1200", "task": "prom_300_all"})
    del keep


if __name__ == "__main__":
    reference_f32()
    mixed_dtypes()
