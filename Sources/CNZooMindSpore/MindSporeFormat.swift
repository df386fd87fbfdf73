import CNZooCore

/// MindSpore `.ckpt` files: a stream of protobuf `Checkpoint` records. (Lands with the `.ckpt` issue.)
public enum MindSporeFormat {}
