using System.Collections;
using System.Globalization;
using Bridge.Tests.Infrastructure;

namespace Bridge.Tests.Hosting;

/// <summary>
/// The repository's Dockerfile, carried out without a Docker engine: each stage's WORKDIR, COPY
/// and RUN are replayed in a private folder standing in for that stage's filesystem (absolute
/// paths mapped into it, the build context filtered as .dockerignore filters bin/ and obj/), and
/// the image is then started as a process with its ENTRYPOINT, WORKDIR and ENV. The build runs
/// once, on first use, for every test of the class.
/// </summary>
public sealed class DockerfileFixture : IAsyncLifetime
{
    /// <summary>
    /// What <c>mcr.microsoft.com/dotnet/aspnet:10.0</c> sets before the Dockerfile's own ENV
    /// (its runtime-deps layer in dotnet/dotnet-docker); ASPNETCORE_HTTP_PORTS is the one that matters.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> BaseImageEnvironment = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["APP_UID"] = "1654",
        ["ASPNETCORE_HTTP_PORTS"] = "8080",
        ["DOTNET_RUNNING_IN_CONTAINER"] = "true",
    };

    private static readonly TimeSpan BuildStepTimeout = TimeSpan.FromMinutes(3);

    /// <summary>Folders the build context never carries (see .dockerignore; asserted by a test).</summary>
    private static readonly string[] IgnoredFolders = ["bin", "obj"];

    private readonly DirectoryInfo _scratch;
    private readonly Lazy<Task<string>> _image;

    public DockerfileFixture()
    {
        RepositoryRoot = Repository.Root;
        Dockerfile = Dockerfile.Parse(File.ReadAllText(Path.Combine(RepositoryRoot, "Dockerfile")));
        _scratch = Directory.CreateTempSubdirectory("bridge-dockerfile-");
        _image = new Lazy<Task<string>>(BuildAsync);
    }

    /// <summary>The folder holding Bridge.sln: the build context.</summary>
    public string RepositoryRoot { get; }

    internal Dockerfile Dockerfile { get; }

    /// <summary>The environment a container of the image starts with.</summary>
    public IReadOnlyDictionary<string, string> ImageEnvironment => Dockerfile.Runtime.Environment(BaseImageEnvironment);

    /// <summary>The host path of the image's WORKDIR, holding the published bridge; builds on first call.</summary>
    public Task<string> ImageWorkingDirectoryAsync() => _image.Value;

    /// <summary>
    /// Starts a container of the image: ENTRYPOINT in WORKDIR with the image's ENV, except that
    /// both listeners bind 127.0.0.1 port 0 (the ports they get are read from the log).
    /// </summary>
    internal async Task<BridgeContainer> StartContainerAsync()
    {
        var workingDirectory = await ImageWorkingDirectoryAsync();
        var environment = ContainerEnvironment(new Dictionary<string, string>
        {
            ["Bridge__HttpUrl"] = "http://127.0.0.1:0",
            ["Bridge__GrpcUrl"] = "http://127.0.0.1:0",
        });
        return await BridgeContainer.StartAsync(Dockerfile.Runtime.ExecForm("ENTRYPOINT"), workingDirectory, environment, TimeSpan.FromSeconds(30));
    }

    /// <summary>
    /// Runs the HEALTHCHECK command as Docker would inside the container: in WORKDIR, with the
    /// image's ENV, its Bridge__HttpUrl keeping its host but pointing at <paramref name="httpPort"/>.
    /// </summary>
    internal async Task<(int ExitCode, string Output)> RunHealthcheckAsync(int httpPort)
    {
        var workingDirectory = await ImageWorkingDirectoryAsync();
        var command = Healthcheck().Command;
        var imageUrl = new UriBuilder(ImageEnvironment["Bridge__HttpUrl"]) { Port = httpPort };
        var environment = ContainerEnvironment(new Dictionary<string, string>
        {
            ["Bridge__HttpUrl"] = imageUrl.Uri.GetLeftPart(UriPartial.Authority),
        });
        return await ChildProcess.RunAsync(Executable(command[0]), command.Skip(1), workingDirectory, environment, TimeSpan.FromSeconds(30), inherit: false);
    }

    /// <summary>The HEALTHCHECK's <c>--flag=value</c> options and its exec-form CMD.</summary>
    internal (Dictionary<string, string> Options, string[] Command) Healthcheck()
    {
        var instruction = Dockerfile.Runtime.Last("HEALTHCHECK") ?? throw new InvalidOperationException("The runtime stage has no HEALTHCHECK.");
        var (options, rest) = Dockerfile.SplitFlags(instruction.Arguments);
        if (!rest.StartsWith("CMD ", StringComparison.OrdinalIgnoreCase))
        {
            throw new FormatException($"{instruction}: expected HEALTHCHECK [options] CMD [...].");
        }

        return (options, Dockerfile.ParseExecForm(rest[4..], instruction));
    }

    /// <summary>"dotnet" is the host the tests run on (what the SDK image and the runtime image put on PATH).</summary>
    internal static string Executable(string name) =>
        name == "dotnet" && Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : name;

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        _scratch.Delete(recursive: true);
        return Task.CompletedTask;
    }

    /// <summary>A container's whole environment: the image's ENV and <paramref name="overrides"/>, plus PATH and HOME to find the host's dotnet.</summary>
    private Dictionary<string, string?> ContainerEnvironment(Dictionary<string, string> overrides)
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["PATH"] = Environment.GetEnvironmentVariable("PATH"),
            ["HOME"] = Environment.GetEnvironmentVariable("HOME"),
        };
        foreach (var (key, value) in ImageEnvironment.Concat(overrides))
        {
            environment[key] = value;
        }

        return environment;
    }

    private async Task<string> BuildAsync()
    {
        var runtime = Dockerfile.Runtime;
        var copyFromBuild = runtime.All("COPY").Select(c => (Instruction: c, Parsed: Dockerfile.SplitFlags(c.Arguments)))
            .Single(c => c.Parsed.Flags.ContainsKey("from"));
        var build = Dockerfile.Stage(copyFromBuild.Parsed.Flags["from"]);

        var buildRoot = Path.Combine(_scratch.FullName, "build");
        await ReplayAsync(build, buildRoot, RepositoryRoot, filterContext: true);
        var runtimeRoot = Path.Combine(_scratch.FullName, "runtime");
        return await ReplayAsync(runtime, runtimeRoot, buildRoot, filterContext: false);
    }

    /// <summary>
    /// Replays <paramref name="stage"/> in <paramref name="root"/>, copying from <paramref name="source"/>
    /// (the build context, or the stage a <c>COPY --from</c> names); returns the host path of its final WORKDIR.
    /// </summary>
    private static async Task<string> ReplayAsync(DockerStage stage, string root, string source, bool filterContext)
    {
        var workdir = "/";
        var environment = BuildEnvironment();
        foreach (var instruction in stage.Instructions)
        {
            switch (instruction.Keyword)
            {
                case "WORKDIR":
                    workdir = ContainerPath(workdir, instruction.Arguments);
                    Directory.CreateDirectory(HostPath(root, workdir));
                    break;
                case "COPY":
                    Copy(instruction, root, workdir, source, filterContext);
                    break;
                case "RUN":
                    await RunAsync(instruction, root, workdir, environment);
                    break;
                case "ENV":
                    foreach (var (key, value) in Dockerfile.ParseEnv(instruction.Arguments))
                    {
                        environment[key] = value;
                    }

                    break;
                case "EXPOSE" or "USER" or "HEALTHCHECK" or "ENTRYPOINT" or "CMD" or "LABEL" or "STOPSIGNAL":
                    // Image metadata: the tests read these from the Dockerfile itself.
                    break;
                default:
                    throw new NotSupportedException($"{instruction}: the Dockerfile test does not replay {instruction.Keyword}; teach DockerfileFixture.");
            }
        }

        return HostPath(root, workdir);
    }

    private static void Copy(DockerInstruction instruction, string root, string workdir, string source, bool filterContext)
    {
        var (_, rest) = Dockerfile.SplitFlags(instruction.Arguments);
        var paths = rest.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var destination = ContainerPath(workdir, paths[^1]);
        var intoFolder = paths.Length > 2 || paths[^1].EndsWith('/') || paths[^1] is "." or "./";
        foreach (var path in paths[..^1])
        {
            var from = filterContext ? Path.Combine(source, path.TrimStart('/')) : HostPath(source, path);
            if (Directory.Exists(from))
            {
                CopyFolder(from, HostPath(root, destination), filterContext);
            }
            else if (File.Exists(from))
            {
                var to = intoFolder ? Path.Combine(HostPath(root, destination), Path.GetFileName(from)) : HostPath(root, destination);
                Directory.CreateDirectory(Path.GetDirectoryName(to)!);
                File.Copy(from, to, overwrite: true);
            }
            else
            {
                throw new FileNotFoundException($"{instruction}: {path} does not exist in {(filterContext ? "the build context" : "the stage copied from")} ({from}).");
            }
        }
    }

    private static void CopyFolder(string from, string to, bool filterContext)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)), overwrite: true);
        }

        foreach (var folder in Directory.EnumerateDirectories(from))
        {
            var name = Path.GetFileName(folder);
            if (!(filterContext && IgnoredFolders.Contains(name, StringComparer.Ordinal)))
            {
                CopyFolder(folder, Path.Combine(to, name), filterContext);
            }
        }
    }

    /// <summary>
    /// Runs a plain <c>dotnet ...</c> RUN line (no shell syntax) in the stage's WORKDIR, with every
    /// absolute path argument (such as <c>-o /app</c>) mapped into the stage's folder.
    /// </summary>
    private static async Task RunAsync(DockerInstruction instruction, string root, string workdir, Dictionary<string, string?> environment)
    {
        var words = instruction.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words[0] != "dotnet" || instruction.Arguments.IndexOfAny(['"', '\'', '$', '&', '|', ';', '<', '>', '`', '[']) >= 0)
        {
            throw new NotSupportedException($"{instruction}: the Dockerfile test replays plain `dotnet ...` RUN lines only.");
        }

        var arguments = words.Skip(1).Select(w => w.StartsWith('/') ? HostPath(root, w) : w);
        var (exitCode, output) = await ChildProcess.RunAsync(Executable(words[0]), arguments, HostPath(root, workdir), environment, BuildStepTimeout);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"{instruction} exited with {exitCode}. Output:\n{output}");
        }
    }

    /// <summary>
    /// This process's environment without what `dotnet test` leaves for MSBuild (it would steer the
    /// nested build), and without build nodes that outlive the step (as in a container).
    /// </summary>
    private static Dictionary<string, string?> BuildEnvironment()
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (DictionaryEntry variable in Environment.GetEnvironmentVariables())
        {
            var name = (string)variable.Key;
            if (name.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase))
            {
                environment[name] = null;
            }
        }

        environment["MSBUILDDISABLENODEREUSE"] = "1";
        environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        environment["DOTNET_NOLOGO"] = "1";
        return environment;
    }

    /// <summary>Resolves a Dockerfile path against the container's current WORKDIR.</summary>
    private static string ContainerPath(string workdir, string path) =>
        path.StartsWith('/') ? path : workdir.TrimEnd('/') + "/" + (path is "." or "./" ? string.Empty : path);

    private static string HostPath(string root, string containerPath) => Path.Combine(root, containerPath.TrimStart('/'));
}
