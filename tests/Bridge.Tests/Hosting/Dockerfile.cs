using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Bridge.Tests.Hosting;

/// <summary>One instruction of a Dockerfile, its continuation lines joined and comments removed.</summary>
internal sealed record DockerInstruction(string Keyword, string Arguments, int Line)
{
    public override string ToString() => $"line {Line}: {Keyword} {Arguments}";
}

/// <summary>One <c>FROM</c> stage and its instructions.</summary>
internal sealed record DockerStage(string Image, string? Name, IReadOnlyList<DockerInstruction> Instructions)
{
    public IEnumerable<DockerInstruction> All(string keyword) =>
        Instructions.Where(i => string.Equals(i.Keyword, keyword, StringComparison.OrdinalIgnoreCase));

    /// <summary>The stage's last instruction of <paramref name="keyword"/> (the one in force), or null.</summary>
    public DockerInstruction? Last(string keyword) => All(keyword).LastOrDefault();

    /// <summary>The environment a container of this stage starts with: <paramref name="inherited"/> (the base image's) plus each <c>ENV</c> in order.</summary>
    public Dictionary<string, string> Environment(IReadOnlyDictionary<string, string> inherited)
    {
        var environment = new Dictionary<string, string>(inherited, StringComparer.Ordinal);
        foreach (var instruction in All("ENV"))
        {
            foreach (var (key, value) in Dockerfile.ParseEnv(instruction.Arguments))
            {
                environment[key] = Dockerfile.Substitute(value, environment);
            }
        }

        return environment;
    }

    /// <summary>Every port of every <c>EXPOSE</c> (a <c>/tcp</c> suffix dropped).</summary>
    public IReadOnlyList<int> ExposedPorts() =>
        [.. All("EXPOSE")
            .SelectMany(i => i.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Select(port => int.Parse(port.Split('/')[0], System.Globalization.CultureInfo.InvariantCulture))];

    /// <summary>The exec-form (JSON array) arguments of the last <paramref name="keyword"/>, e.g. <c>ENTRYPOINT</c>.</summary>
    public string[] ExecForm(string keyword)
    {
        var instruction = Last(keyword) ?? throw new InvalidOperationException($"The stage has no {keyword}.");
        return Dockerfile.ParseExecForm(instruction.Arguments, instruction);
    }
}

/// <summary>
/// The subset of the Dockerfile syntax the bridge's own Dockerfile uses: stages, continuation
/// lines, comments, ENV (both forms), exec-form JSON arrays and <c>$VAR</c> substitution.
/// </summary>
internal sealed partial class Dockerfile
{
    private Dockerfile(IReadOnlyList<DockerStage> stages) => Stages = stages;

    public IReadOnlyList<DockerStage> Stages { get; }

    /// <summary>The stage that becomes the image: the last one.</summary>
    public DockerStage Runtime => Stages[^1];

    public DockerStage Stage(string name) =>
        Stages.SingleOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new InvalidOperationException($"No stage is named {name}.");

    public static Dockerfile Parse(string text)
    {
        var stages = new List<DockerStage>();
        string? image = null;
        string? name = null;
        var instructions = new List<DockerInstruction>();
        foreach (var instruction in Instructions(text))
        {
            if (instruction.Keyword == "FROM")
            {
                if (image is not null)
                {
                    stages.Add(new DockerStage(image, name, instructions));
                }

                var parts = instruction.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                image = parts[0];
                name = parts.Length == 3 && string.Equals(parts[1], "AS", StringComparison.OrdinalIgnoreCase) ? parts[2] : null;
                instructions = [];
                continue;
            }

            if (image is null)
            {
                throw new FormatException($"{instruction} comes before the first FROM.");
            }

            instructions.Add(instruction);
        }

        if (image is null)
        {
            throw new FormatException("The Dockerfile has no FROM.");
        }

        stages.Add(new DockerStage(image, name, instructions));
        return new Dockerfile(stages);
    }

    /// <summary>Splits <c>--name=value</c> flags (HEALTHCHECK, COPY) from what follows them.</summary>
    public static (Dictionary<string, string> Flags, string Remainder) SplitFlags(string arguments)
    {
        var flags = new Dictionary<string, string>(StringComparer.Ordinal);
        var rest = arguments.TrimStart();
        while (rest.StartsWith("--", StringComparison.Ordinal))
        {
            var end = rest.IndexOf(' ', StringComparison.Ordinal);
            var flag = end < 0 ? rest : rest[..end];
            var equals = flag.IndexOf('=', StringComparison.Ordinal);
            flags[equals < 0 ? flag[2..] : flag[2..equals]] = equals < 0 ? string.Empty : flag[(equals + 1)..];
            rest = end < 0 ? string.Empty : rest[(end + 1)..].TrimStart();
        }

        return (flags, rest);
    }

    public static string[] ParseExecForm(string arguments, DockerInstruction instruction)
    {
        if (!arguments.TrimStart().StartsWith('['))
        {
            throw new FormatException($"{instruction}: expected the exec form, a JSON array of strings.");
        }

        return JsonSerializer.Deserialize<string[]>(arguments) ?? throw new FormatException($"{instruction}: null array.");
    }

    /// <summary>The pairs of one ENV: <c>K=V K2="V 2"</c>, or the legacy <c>K V</c>.</summary>
    public static IEnumerable<KeyValuePair<string, string>> ParseEnv(string arguments)
    {
        var words = Words(arguments);
        if (words.Count > 0 && !words[0].Contains('=', StringComparison.Ordinal))
        {
            var space = arguments.IndexOf(' ', StringComparison.Ordinal);
            yield return new(words[0], space < 0 ? string.Empty : arguments[(space + 1)..].Trim());
            yield break;
        }

        foreach (var word in words)
        {
            var equals = word.IndexOf('=', StringComparison.Ordinal);
            yield return new(word[..equals], word[(equals + 1)..]);
        }
    }

    /// <summary>Replaces <c>$NAME</c> and <c>${NAME}</c> with their values; an unset one becomes empty, as Docker does.</summary>
    public static string Substitute(string value, IReadOnlyDictionary<string, string> environment) =>
        VariablePattern().Replace(value, m => environment.TryGetValue(m.Groups["name"].Value, out var v) ? v : string.Empty);

    private static IEnumerable<DockerInstruction> Instructions(string text)
    {
        var lines = text.ReplaceLineEndings("\n").Split('\n');
        var pending = new StringBuilder();
        var start = 0;
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                // Comments (parser directives included) and blank lines vanish, even between continuation lines.
                continue;
            }

            if (pending.Length == 0)
            {
                start = i + 1;
            }

            var continues = line.EndsWith('\\');
            pending.Append(continues ? line[..^1] : line).Append(' ');
            if (continues)
            {
                continue;
            }

            var instruction = pending.ToString().Trim();
            pending.Clear();
            var space = instruction.IndexOf(' ', StringComparison.Ordinal);
            yield return space < 0
                ? new DockerInstruction(instruction.ToUpperInvariant(), string.Empty, start)
                : new DockerInstruction(instruction[..space].ToUpperInvariant(), instruction[(space + 1)..].Trim(), start);
        }
    }

    /// <summary>Splits on spaces outside double quotes and removes the quotes.</summary>
    private static List<string> Words(string arguments)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var quoted = false;
        var any = false;
        for (var i = 0; i < arguments.Length; i++)
        {
            var c = arguments[i];
            if (c == '\\' && i + 1 < arguments.Length)
            {
                word.Append(arguments[++i]);
                any = true;
            }
            else if (c == '"')
            {
                quoted = !quoted;
                any = true;
            }
            else if (char.IsWhiteSpace(c) && !quoted)
            {
                if (any)
                {
                    words.Add(word.ToString());
                }

                word.Clear();
                any = false;
            }
            else
            {
                word.Append(c);
                any = true;
            }
        }

        if (any)
        {
            words.Add(word.ToString());
        }

        return words;
    }

    [GeneratedRegex(@"\$(?:\{(?<name>[A-Za-z_][A-Za-z0-9_]*)\}|(?<name>[A-Za-z_][A-Za-z0-9_]*))")]
    private static partial Regex VariablePattern();
}
