import Foundation
import Testing
@testable import CNZooZoo

/// Which proxy `fetch` names when a connection fails: the one libcurl would have used.
@Suite struct ProxyRuleTests {
    let https = URL(string: "https://download.pytorch.org/models/x.pth")!
    let http = URL(string: "http://mirror.example.org:8080/x.pth")!

    @Test func schemeVariablesThenAllProxy() {
        #expect(HTTPStream.Proxy.for(https, environment: [:]) == nil)
        #expect(HTTPStream.Proxy.for(https, environment: ["HTTPS_PROXY": "http://p:1"])
                == .init(variable: "HTTPS_PROXY", url: "http://p:1"))
        #expect(HTTPStream.Proxy.for(https, environment: ["https_proxy": "http://a:1", "HTTPS_PROXY": "http://b:1"])?.url
                == "http://a:1")
        // libcurl ignores upper-case HTTP_PROXY (a CGI header can set it); all_proxy covers every scheme.
        #expect(HTTPStream.Proxy.for(http, environment: ["HTTP_PROXY": "http://p:1"]) == nil)
        #expect(HTTPStream.Proxy.for(http, environment: ["ALL_PROXY": "socks5://s:1"])?.variable == "ALL_PROXY")
    }

    @Test func noProxyExempts() {
        let env = ["https_proxy": "http://p:1"]
        for exempt in ["*", "pytorch.org", ".pytorch.org", "other.net, download.pytorch.org"] {
            #expect(HTTPStream.Proxy.for(https, environment: env.merging(["no_proxy": exempt]) { $1 }) == nil, "\(exempt)")
        }
        #expect(HTTPStream.Proxy.for(https, environment: env.merging(["NO_PROXY": "torch.org"]) { $1 }) != nil)
    }

    @Test func connectionFailuresNameTheProxyOnlyWhenOneIsUsed() {
        let refused = NSError(domain: NSURLErrorDomain, code: NSURLErrorCannotConnectToHost)
        let viaProxy = HTTPStream.describe(refused, url: https, environment: ["https_proxy": "http://p:3128"])
        #expect(viaProxy.code == .network)
        #expect(viaProxy.message == "cannot reach the proxy http://p:3128 (from $https_proxy) for "
                + "https://download.pytorch.org; check the proxy, or list the host in $no_proxy")
        #expect(HTTPStream.describe(refused, url: https, environment: [:]).message
                == "cannot connect to https://download.pytorch.org (connection refused: is the server down?)")
    }
}
