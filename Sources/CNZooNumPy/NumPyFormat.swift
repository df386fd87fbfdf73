import CNZooCore

/// NumPy `.npy` arrays. (Lands with the forward-pass issue.)
public enum NumPyFormat {}
