import CNZooCore

/// Zoo manifests. (Lands with the zoo issue.)
public enum Zoo {}
