namespace Bridge.Benchmarks.Infrastructure;

/// <summary>
/// Where things are: the repository root (the folder of Bridge.sln above this program) and the
/// build configuration this program was built in, which is also that of the servers it starts
/// (they are built with it, see the project file).
/// </summary>
internal sealed class RepoLayout(string root, string configuration, string targetFramework)
{
    public string Root { get; } = root;

    public string Configuration { get; } = configuration;

    public string TargetFramework { get; } = targetFramework;

    public static RepoLayout Locate()
    {
        var baseDirectory = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var targetFramework = baseDirectory.Name;
        var configuration = baseDirectory.Parent?.Name ?? "Release";
        for (var dir = baseDirectory; dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Bridge.sln")))
            {
                return new RepoLayout(dir.FullName, configuration, targetFramework);
            }
        }

        throw new InvalidOperationException($"No Bridge.sln above {AppContext.BaseDirectory}: run the benchmarks from their build output in the repository.");
    }

    /// <summary>The build output of a project of the repository, e.g. <c>src/Bridge</c> and <c>Bridge</c>.</summary>
    public string Output(string projectDirectory, string assemblyName) =>
        Path.Combine(Root, projectDirectory, "bin", Configuration, TargetFramework, assemblyName + ".dll");

    public string PathOf(string relative) => Path.Combine(Root, relative);
}
