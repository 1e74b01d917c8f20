namespace Bridge.Tests.Infrastructure;

/// <summary>
/// The xunit collection of every browser test: <c>[Collection(SharedChromium.Name)]</c> on a test
/// class gets it the one <see cref="ChromiumFixture"/> of the run. Tests of one collection run one
/// after another, so the browser is never shared by two tests at once.
/// </summary>
[CollectionDefinition(Name)]
public sealed class SharedChromium : ICollectionFixture<ChromiumFixture>
{
    public const string Name = "Chromium";
}
