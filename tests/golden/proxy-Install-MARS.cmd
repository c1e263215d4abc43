@echo off
rem MARS agent (Azure Backup agent) silent install for MABS01,
rem written by mabs-wizard from the install manifest of 2025-11-26 09:50 UTC.
rem Switches (MARSAgentInstaller.exe /?, S6): /q quiet; /nu no update check after the install;
rem /m opt in to Microsoft Update; /p: install folder; /s: cache (scratch) folder;
rem /ph /po /pu /pw proxy host, port, user, password.
rem MABS setup installs the agent itself: run this on its own to install the agent before setup
rem (so it has the proxy when setup registers the server) or to repair it. Elevated prompt.
setlocal
set "SETUP_FOLDER=C:\MABS Setup"
rem The proxy password is read from MABS_WIZARD_PROXY_PASSWORD when this runs: set it in this prompt
rem first. It shows in the installer's command line while it runs; the ps1 export sets it
rem as a SecureString instead.
if not defined MABS_WIZARD_PROXY_PASSWORD (
  echo Set MABS_WIZARD_PROXY_PASSWORD to the proxy password first. 1>&2
  exit /b 2
)
"%SETUP_FOLDER%\MARSAgent\MARSAgentInstaller.exe" /q /nu /p:"C:\Program Files\Microsoft Azure Recovery Services Agent" /s:"C:\MABS\Scratch" /ph proxy.contoso.local /po 8080 /pu CONTOSO\svc-mabs /pw "%MABS_WIZARD_PROXY_PASSWORD%"
exit /b %ERRORLEVEL%
