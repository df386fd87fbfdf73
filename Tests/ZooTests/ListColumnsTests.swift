import CNZooTestSupport
import Foundation
import Testing

/// `cnzoo list`: the sources column's count is the number of names it shows, and a best top-1 from a
/// 22k-pretrained release says so.
@Suite struct ListColumnsTests {
    @Test func sourcesCountMatchesTheNamesAndTop1Says22k() throws {
        let r = try TestSupport.run(["list"], environment: ["CNZOO_ZOO_DIR": zooDirectory])
        #expect(r.status == 0, "\(r.stderr)")
        let rows = r.stdout.split(separator: "\n").dropFirst()
        #expect(rows.count == 18)
        for row in rows {
            let match = try #require(row.firstMatch(of: #/  (\d+): ([a-z,]+)  /#), "\(row)")
            #expect(Int(match.1) == match.2.split(separator: ",").count, "\(row)")
        }
        let tiny = try #require(rows.first { $0.hasPrefix("convnext_tiny ") })
        #expect(tiny.contains("82.90 (official, 22k)"))
        let mixer = try #require(rows.first { $0.hasPrefix("convmixer_768_32 ") })
        #expect(mixer.contains("79.68 (mindcv)  "))
    }
}
