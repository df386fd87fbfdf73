import CNZooCore
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One HTTP(S) GET whose body is handed over chunk by chunk as it arrives (never held whole in memory), over
/// Foundation's `URLSession` (libcurl on Linux). Blocking: `run` returns when the transfer ends.
final class HTTPStream: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    /// What the caller decides when the response head arrives.
    enum HeadDecision {
        case accept
        case reject(CNZooError)
    }

    private let onHead: (HTTPURLResponse) -> HeadDecision
    private let onChunk: (Data) throws -> Void
    private var failure: (any Error)?
    private let done = DispatchSemaphore(value: 0)

    private init(onHead: @escaping (HTTPURLResponse) -> HeadDecision, onChunk: @escaping (Data) throws -> Void) {
        self.onHead = onHead
        self.onChunk = onChunk
    }

    /// GETs `url` with `headers`. `onHead` sees the status and headers first; `onChunk` gets body bytes in order.
    /// Throws what `onHead` rejected with, what `onChunk` threw, or a `.network` error for transport failures.
    static func get(_ url: URL, headers: [String: String], idleTimeout: TimeInterval,
                    onHead: @escaping (HTTPURLResponse) -> HeadDecision,
                    onChunk: @escaping (Data) throws -> Void) throws {
        let stream = HTTPStream(onHead: onHead, onChunk: onChunk)
        let config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = idleTimeout
        config.requestCachePolicy = .reloadIgnoringLocalCacheData
        config.urlCache = nil
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        let session = URLSession(configuration: config, delegate: stream, delegateQueue: queue)
        var request = URLRequest(url: url)
        request.httpMethod = "GET"
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        request.setValue("cnzoo", forHTTPHeaderField: "User-Agent")
        // Byte ranges must refer to the stored bytes, not a decoded representation.
        request.setValue("identity", forHTTPHeaderField: "Accept-Encoding")
        session.dataTask(with: request).resume()
        stream.done.wait()
        session.finishTasksAndInvalidate()
        if let f = stream.failure { throw f }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        guard let http = response as? HTTPURLResponse else {
            fail(CNZooError(.network, "not an HTTP response from \(dataTask.originalRequest?.url?.absoluteString ?? "?")"))
            completionHandler(.cancel)
            return
        }
        switch onHead(http) {
        case .accept: completionHandler(.allow)
        case .reject(let e):
            fail(e)
            completionHandler(.cancel)
        }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard failure == nil else { return }
        do {
            try onChunk(data)
        } catch {
            fail(error)
            dataTask.cancel()
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        if failure == nil, let error {
            failure = HTTPStream.describe(error, url: task.originalRequest?.url)
        }
        done.signal()
    }

    private func fail(_ e: any Error) {
        if failure == nil { failure = e }
    }

    /// A transport error as a `.network` `CNZooError` with a plain message. When a proxy carries the request
    /// (`environment`'s proxy variables, as libcurl reads them) and cannot be reached, the proxy is named, not the
    /// server behind it.
    static func describe(_ error: any Error, url: URL?,
                         environment: [String: String] = ProcessInfo.processInfo.environment) -> CNZooError {
        let target = url.map(origin) ?? "the server"
        let ns = error as NSError
        let what: String
        if ns.domain == NSURLErrorDomain {
            let proxy = url.flatMap { Proxy.for($0, environment: environment) }
            let unreachable = [NSURLErrorCannotConnectToHost, NSURLErrorCannotFindHost, NSURLErrorDNSLookupFailed,
                               NSURLErrorTimedOut].contains(ns.code)
            switch ns.code {
            case _ where unreachable && proxy != nil:
                let p = proxy.map { "the proxy \($0.url) (from $\($0.variable))" } ?? ""
                what = "cannot reach \(p) for \(target); check the proxy, or list the host in $no_proxy"
            case NSURLErrorCannotConnectToHost: what = "cannot connect to \(target) (connection refused: is the server down?)"
            case NSURLErrorCannotFindHost, NSURLErrorDNSLookupFailed: what = "cannot resolve the host of \(target)"
            case NSURLErrorTimedOut: what = "\(target) did not answer in time"
            case NSURLErrorNetworkConnectionLost: what = "the connection to \(target) was lost"
            case NSURLErrorNotConnectedToInternet: what = "no network connection"
            case NSURLErrorSecureConnectionFailed, NSURLErrorServerCertificateUntrusted,
                 NSURLErrorServerCertificateHasBadDate, NSURLErrorServerCertificateHasUnknownRoot:
                what = "TLS connection to \(target) failed"
            default:
                let detail = (ns.userInfo[NSLocalizedDescriptionKey] as? String) ?? "error \(ns.code)"
                what = "transfer from \(target) failed: \(detail)" + (proxy.map { " (through the proxy \($0.url))" } ?? "")
            }
        } else {
            what = "transfer from \(target) failed: \(error)"
        }
        // The Foundation error's description repeats itself at length; the message above already says what happened.
        return CNZooError(.network, what)
    }

    /// `scheme://host[:port]` of `url`.
    static func origin(_ url: URL) -> String {
        "\(url.scheme ?? "")://\(url.host ?? "")\(url.port.map { ":\($0)" } ?? "")"
    }

    /// The proxy libcurl (Foundation's transport on Linux) uses for a URL, from the environment.
    struct Proxy: Equatable {
        /// The variable it came from (`https_proxy`).
        let variable: String
        /// Its value.
        let url: String

        /// libcurl's rules: `http_proxy` (lower case only) for http, `https_proxy` / `HTTPS_PROXY` for https, then
        /// `all_proxy` / `ALL_PROXY`; none when `no_proxy` / `NO_PROXY` is `*` or lists the host or a domain suffix.
        static func `for`(_ url: URL, environment: [String: String]) -> Proxy? {
            guard let scheme = url.scheme?.lowercased(), let host = url.host?.lowercased() else { return nil }
            let noProxy = environment["no_proxy"] ?? environment["NO_PROXY"] ?? ""
            for raw in noProxy.split(separator: ",") {
                var entry = raw.trimmingCharacters(in: .whitespaces).lowercased()
                if entry == "*" { return nil }
                if entry.hasPrefix(".") { entry.removeFirst() }
                if !entry.isEmpty && (host == entry || host.hasSuffix("." + entry)) { return nil }
            }
            let names = scheme == "http" ? ["http_proxy", "all_proxy", "ALL_PROXY"]
                : [scheme + "_proxy", scheme.uppercased() + "_PROXY", "all_proxy", "ALL_PROXY"]
            for name in names {
                if let value = environment[name], !value.isEmpty { return Proxy(variable: name, url: value) }
            }
            return nil
        }
    }
}
