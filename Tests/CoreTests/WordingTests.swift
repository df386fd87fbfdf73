import CNZooCore
import Testing

/// Messages say "1 tensor" / "2 tensors" and "an argparse.Namespace" / "a dict".
@Suite struct WordingTests {
    @Test func countsAndArticles() {
        #expect(Plural.count(1, "tensor") == "1 tensor")
        #expect(Plural.count(3, "shape mismatch", "shape mismatches") == "3 shape mismatches")
        #expect(Article.a("argparse.Namespace") == "an argparse.Namespace")
        #expect(Article.a("Optimizer") == "an Optimizer")
        #expect(Article.a("dict") == "a dict")
        #expect(Article.a("") == "")
    }
}
