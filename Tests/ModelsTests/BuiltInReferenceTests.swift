import CNZooNumPy
import CNZooTestSupport
@testable import CNZooVerify
import Testing

/// `verify --variant` reads its reference logits from the data built into the binary unless `--references` says
/// otherwise.
@Suite struct BuiltInReferenceTests {
    @Test func theBuiltInReferencesAreTheFixtures() throws {
        #expect(ReferenceParity.locateFixtures(explicit: nil) == ReferenceParity.builtInFixtures)
        #expect(ReferenceParity.locateFixtures(explicit: "/refs") == "/refs")
        for name in ["tiny_logits_torchvision.npy", "tiny_logits_mindcv.npy"] {
            let builtIn = try #require(try ReferenceParity.readReference(ReferenceParity.builtInFixtures + "/" + name))
            let onDisk = try NumPyFormat.read(path: TestSupport.fixture("forward/" + name))
            #expect(builtIn.shape == onDisk.shape && builtIn.shape == [4, 1000])
            #expect(try builtIn.floats() == onDisk.floats())
        }
        #expect(try ReferenceParity.readReference(ReferenceParity.builtInFixtures + "/huge_logits_x.npy") == nil)
        #expect(try ReferenceParity.readReference(TestSupport.fixture("forward/huge_logits_x.npy")) == nil)
    }
}
