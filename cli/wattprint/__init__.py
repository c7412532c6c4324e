"""wattprint: carbon footprint of AI training runs and ONNX model inference."""

__version__ = "0.1.0"
