import CNZooCore

/// PyTorch `.pth` files: zip container + data-only pickle. (Reader and writer land with the `.pth` issue.)
public enum PyTorchFormat {}
