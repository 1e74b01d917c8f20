# The bridge as a container: build with the SDK, run on the ASP.NET runtime image as a non-root user.
#   docker build -t bridge .
#   docker run --rm -p 8080:8080 -p 50051:50051 bridge
# tests/Bridge.Tests/Hosting/DockerfileTests.cs reads this file and does what it does (no Docker
# engine needed): keep the publish on one `RUN dotnet publish` line and the runtime stage last.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore from the project file and the central props alone, so the restore layer stays cached
# until a package or the project itself changes.
COPY Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/Bridge/Bridge.csproj src/Bridge/
RUN dotnet restore src/Bridge/Bridge.csproj
COPY proto/ proto/
COPY src/Bridge/ src/Bridge/
# The JavaScript client the bridge embeds and serves at /bridge-client.js.
COPY clients/js/bridge-client.js clients/js/
RUN dotnet publish src/Bridge/Bridge.csproj -c Release -o /app --no-restore

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
# Owned by root and so read-only to the app user.
COPY --from=build /app ./
ENV Bridge__HttpUrl=http://0.0.0.0:8080
ENV Bridge__GrpcUrl=http://0.0.0.0:50051
# The base image sets ASPNETCORE_HTTP_PORTS=8080; the bridge configures its own two listeners,
# and Kestrel would otherwise warn that it overrides that address on every start.
ENV ASPNETCORE_HTTP_PORTS=
# Server GC is already off in Bridge.csproj (runtimeconfig.json): one heap suits a small container.
EXPOSE 8080 50051
# Numeric (the base image's `app` user, 1654) so Kubernetes can verify runAsNonRoot.
USER $APP_UID
# The runtime image has no curl: the bridge probes its own /healthz (src/Bridge/Hosting/HealthProbe.cs).
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 CMD ["dotnet", "Bridge.dll", "healthcheck"]
# Exec form: the bridge is PID 1 and receives SIGTERM itself, then drains (Bridge:DrainTimeout, 10 s).
ENTRYPOINT ["dotnet", "Bridge.dll"]
