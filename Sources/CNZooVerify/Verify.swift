import CNZooCore

/// The verification runner. (Lands with the forward-pass issue.)
public enum Verify {}
