using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Net;
using System.Net.Security;

namespace BedrockStream.Benchmark;

/// <summary>
/// A certificate chain made at run time for the fake model's HTTPS endpoint, shaped like the one a client of the
/// real Bedrock endpoint checks (a root, an intermediate the server sends along, a leaf; RSA 2048 as Amazon's
/// Root CA 1 chain), so that the cold path of every variant includes a real TLS handshake and chain check.
/// Written as PEM into the benchmark's work folder, and trusted by each runtime through its standard variable
/// (<see cref="TrustEnvironment"/>). Nothing is installed into any system store; the keys live only in this process.
/// </summary>
internal sealed class ThrowAwayCertificates : IDisposable
{
    /// <summary>Where the system's public roots are on common Linux distributions (Debian/Ubuntu first).</summary>
    private static readonly string[] SystemBundles =
        ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"];

    private readonly X509Certificate2 _root;
    private readonly X509Certificate2 _intermediate;
    private readonly X509Certificate2 _leaf;

    private ThrowAwayCertificates(X509Certificate2 root, X509Certificate2 intermediate, X509Certificate2 leaf, string rootFile, string bundleFile, string? systemBundle)
    {
        _root = root;
        _intermediate = intermediate;
        _leaf = leaf;
        RootFile = rootFile;
        BundleFile = bundleFile;
        SystemBundle = systemBundle;
        ServerContext = SslStreamCertificateContext.Create(leaf, [intermediate], offline: true);
    }

    /// <summary>The throw-away root alone (PEM).</summary>
    public string RootFile { get; }

    /// <summary>The system's public roots followed by the throw-away root (PEM): a trust store as large as the real one.</summary>
    public string BundleFile { get; }

    /// <summary>The system bundle copied into <see cref="BundleFile"/>, or null when none was found (then it holds the throw-away root only).</summary>
    public string? SystemBundle { get; }

    /// <summary>What the fake model's TLS listener presents: the leaf and the intermediate.</summary>
    public SslStreamCertificateContext ServerContext { get; }

    /// <summary>
    /// The variables through which each runtime trusts the throw-away root, on top of (or with) the public roots:
    /// <list type="bullet">
    /// <item>.NET on Linux reads its root store from OpenSSL's <c>SSL_CERT_FILE</c> (dotnet/runtime,
    /// src/native/libs/System.Security.Cryptography.Native/pal_x509_root.c: <c>getenv(X509_get_default_cert_file_env())</c>);
    /// the file replaces the default one, hence the bundle with the public roots in it.</item>
    /// <item>Python requests verifies against <c>REQUESTS_CA_BUNDLE</c>
    /// (https://requests.readthedocs.io/en/latest/user/advanced/#ssl-cert-verification), again a replacement.</item>
    /// <item>Node.js adds <c>NODE_EXTRA_CA_CERTS</c> to its built-in roots
    /// (https://nodejs.org/api/cli.html#node_extra_ca_certsfile), so it gets the throw-away root alone.</item>
    /// </list>
    /// </summary>
    public IReadOnlyDictionary<string, string?> TrustEnvironment => new Dictionary<string, string?>
    {
        ["SSL_CERT_FILE"] = BundleFile,
        ["REQUESTS_CA_BUNDLE"] = BundleFile,
        ["NODE_EXTRA_CA_CERTS"] = RootFile,
    };

    public static ThrowAwayCertificates Create(string directory)
    {
        Directory.CreateDirectory(directory);
        var now = DateTimeOffset.UtcNow;
        using var rootKey = RSA.Create(2048);
        using var intermediateKey = RSA.Create(2048);
        using var leafKey = RSA.Create(2048);

        var rootRequest = Request("CN=bedrock-stream benchmark throw-away root", rootKey);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 1, true));
        rootRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        rootRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(rootRequest.PublicKey, false));
        var root = rootRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));

        var intermediateRequest = Request("CN=bedrock-stream benchmark throw-away intermediate", intermediateKey);
        intermediateRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        intermediateRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        intermediateRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(intermediateRequest.PublicKey, false));
        intermediateRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(root, true, false));
        using var intermediatePublic = intermediateRequest.Create(root, now.AddMinutes(-5), now.AddDays(1), Serial());
        var intermediate = intermediatePublic.CopyWithPrivateKey(intermediateKey);

        var leafRequest = Request("CN=localhost", leafKey);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        leafRequest.CertificateExtensions.Add(names.Build(true));
        leafRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        leafRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        leafRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false)); // serverAuth
        leafRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(intermediate, true, false));
        using var leafPublic = leafRequest.Create(intermediate, now.AddMinutes(-5), now.AddDays(1), Serial());
        var leaf = leafPublic.CopyWithPrivateKey(leafKey);

        var rootFile = Path.Combine(directory, "throw-away-root.pem");
        var bundleFile = Path.Combine(directory, "trust-bundle.pem");
        var rootPem = root.ExportCertificatePem() + "\n";
        File.WriteAllText(rootFile, rootPem);
        var systemBundle = SystemBundles.FirstOrDefault(File.Exists);
        File.WriteAllText(bundleFile, (systemBundle is null ? "" : File.ReadAllText(systemBundle).TrimEnd() + "\n") + rootPem);
        return new ThrowAwayCertificates(root, intermediate, leaf, rootFile, bundleFile, systemBundle);
    }

    private static CertificateRequest Request(string subject, RSA key) =>
        new(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);

    /// <summary>A random positive serial (the high bit clear: DER integers are signed).</summary>
    private static byte[] Serial()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        return serial;
    }

    public void Dispose()
    {
        _leaf.Dispose();
        _intermediate.Dispose();
        _root.Dispose();
    }
}
