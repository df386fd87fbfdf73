import CNZooConversion
import CNZooCore
import CNZooMapping
import CNZooTestSupport
import Foundation
import Testing

/// One vocabulary: every spelling a subcommand accepts comes from one registry, with the same aliases everywhere.
@Suite struct VocabularyTests {
    @Test func conventionRegistryIsTheConventionList() {
        #expect(Convention.spellings == Conventions.names)
        for c in Conventions.all {
            #expect(Convention(parsing: c.name) == c.id)
            for a in c.aliases { #expect(Convention(parsing: a) == c.id, "alias \(a)") }
        }
        #expect(Convention(parsing: "MindSpore-Vision") == "mindvision")
        #expect(Convention(parsing: "tv") == "torchvision")
        #expect(Convention(parsing: "locuslab") == nil)
    }

    @Test func unknownTermsAreUsageErrorsListingTheKnownOnes() {
        #expect(throws: CNZooError.self) { try Family.parse("resnet") }
        do {
            _ = try Convention.parse("tensorflow")
            Issue.record("accepted an unknown convention")
        } catch let e as CNZooError {
            #expect(e.code == .usage)
            for name in Conventions.names { #expect(e.message.contains(name)) }
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func familiesActivationsAndTargets() {
        #expect(Family.spellings == ["convnext", "convmixer"])
        #expect(ArchitectureFamilies.all.map(\.name) == Family.known)
        #expect(Activation(parsing: "gelu-tanh") == .geluTanh && Activation(parsing: "tanh") == .geluTanh)
        #expect(Activation(parsing: "relu") == .relu && Activation(parsing: "erf") == .gelu)
        #expect(ConversionTarget(parsing: "mindspore") == .ms && ConversionTarget(parsing: "pth") == .torch)
        #expect(ConversionTarget.known.contains(.ms) && ConversionTarget.known.contains(.safetensors))
        #expect(ConversionTarget.ms.format == .mindspore && ConversionTarget.ms.fileExtension == "ckpt")
    }

    @Test func variantsByZooIDOrShortName() throws {
        let t = try #require(ArchitectureFamilies.spec(variant: "convnext_tiny") as? ConvNeXtSpec)
        #expect(t.depths == [3, 3, 9, 3])
        #expect((ArchitectureFamilies.spec(variant: "tiny") as? ConvNeXtSpec)?.dims == t.dims)
        let m = try #require(ArchitectureFamilies.spec(variant: "convmixer_768_32") as? ConvMixerSpec)
        #expect(m.activation == .relu && m.depth == 32)
        #expect(ArchitectureFamilies.spec(variant: "convnext_huge") == nil)
    }

    /// The same alias on three subcommands that once spelled it three ways.
    @Test func aliasesWorkOnEverySubcommand() throws {
        let micro = TestSupport.fixture("mindspore/micro_mindvision_f32.ckpt")
        let dir = try TestSupport.makeScratchDirectory("cnzoo-vocab")
        defer { TestSupport.removeScratch(dir) }
        let input = TestSupport.fixture("pytorch/torchvision_micro_f32.pth")
        let converted = try TestSupport.run(["convert", input, "--to", "mindspore", "--convention", "mindspore-vision",
                                             "-o", dir + "/x.ckpt", "--json"])
        #expect(converted.status == 0, "\(converted.stderr)")
        #expect(converted.stdout.contains("\"convention\" : \"mindvision\""))
        for args in [["forward", "--checkpoint", micro, "--input", TestSupport.fixture("forward/micro_input.npy"),
                      "--from", "mindspore-vision", "--json"],
                     ["forward", "--checkpoint", micro, "--input", TestSupport.fixture("forward/micro_input.npy"),
                      "--convention", "mv", "--json"],
                     ["diff", dir + "/x.ckpt", dir + "/x.ckpt", "--from", "MV"]] {
            let r = try TestSupport.run(args)
            #expect(r.status == 0, "\(args): \(r.stderr)")
        }
        let bad = try TestSupport.run(["diff", micro, micro, "--from", "locuslab", "--json"])
        #expect(bad.status == 2)
    }
}
