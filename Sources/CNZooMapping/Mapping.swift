import CNZooCore

/// Architecture specs and naming conventions. (Lands with the mapping issue.)
public enum Mapping {}
