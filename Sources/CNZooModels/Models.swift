import CNZooCore

/// Kernels and the ConvNeXt forward pass. (Lands with the forward-pass issue.)
public enum Models {}
