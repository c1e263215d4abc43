@echo off
rem MARS agent (Azure Backup agent) silent install for MABS01,
rem written by mabs-wizard from the install manifest of 2025-11-26 09:50 UTC.
rem Switches (MARSAgentInstaller.exe /?, S6): /q quiet; /nu no update check after the install;
rem /m opt in to Microsoft Update; /p: install folder; /s: cache (scratch) folder;
rem /ph /po /pu /pw proxy host, port, user, password.
rem MABS setup installs the agent itself: run this on its own to install the agent before setup
rem (so it has the proxy when setup registers the server) or to repair it. Elevated prompt.
setlocal
rem Copy this file into the extracted MABS folder (the one holding Setup.exe and MARSAgent).
set "SETUP_FOLDER=%~dp0."
"%SETUP_FOLDER%\MARSAgent\MARSAgentInstaller.exe" /q /nu /m /p:"C:\Program Files\Microsoft Azure Recovery Services Agent" /s:"C:\MABS\Scratch"
exit /b %ERRORLEVEL%
