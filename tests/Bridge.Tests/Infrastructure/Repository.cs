namespace Bridge.Tests.Infrastructure;

/// <summary>Where the repository is, for tests that run its other build outputs or read its files.</summary>
internal static class Repository
{
    /// <summary>The folder holding Bridge.sln, found upwards from the test assembly.</summary>
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Bridge.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException($"No folder above {AppContext.BaseDirectory} holds Bridge.sln.");
    }
}
