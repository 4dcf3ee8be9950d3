#!/usr/bin/env node
// Deploys a local Twilio Serverless project with Twilio's own, unmodified Node
// toolkit (@twilio-labs/serverless-api), the way twilio-run's deploy does it:
// package.json dependencies and the .env file's variables go with the deploy.
//
//   node tests/node/deploy.js PROJECT_DIR --service-name NAME [--environment dev]
//                             [--runtime node22]
//
// Credentials come from TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN. The toolkit
// talks to https://serverless.twilio.com and its upload host; against the fake
// it reaches them through HTTP_PROXY (it reads no other proxy variable) and
// trusts the fake's CA through NODE_EXTRA_CA_CERTS.
//
// On success: one JSON line on stdout (the DeployResult's SIDs and domain).
// Status updates go to stderr as they happen. On failure: the error on stderr
// (what the toolkit rejected with, as a JSON line) and exit status 1.
'use strict';

const fs = require('fs');
const path = require('path');

let toolkit;
try {
  toolkit = require('@twilio-labs/serverless-api');
} catch (err) {
  console.error(
    'deploy.js: @twilio-labs/serverless-api is not installed; run `npm ci --prefix tests/node`',
  );
  process.exit(2);
}

function parseArgs(argv) {
  const options = { environment: 'dev', runtime: undefined, serviceName: undefined };
  const positional = [];
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--service-name') options.serviceName = argv[++i];
    else if (arg === '--environment') options.environment = argv[++i];
    else if (arg === '--runtime') options.runtime = argv[++i];
    else positional.push(arg);
  }
  if (positional.length !== 1 || !options.serviceName) {
    console.error(
      'usage: node deploy.js PROJECT_DIR --service-name NAME [--environment dev] [--runtime R]',
    );
    process.exit(2);
  }
  options.cwd = path.resolve(positional[0]);
  return options;
}

// KEY=VALUE lines, as twilio-run's dotenv reads a .env file (comments and
// blank lines skipped, one pair of surrounding quotes dropped).
function readEnvFile(file) {
  const env = {};
  if (!fs.existsSync(file)) return env;
  for (const line of fs.readFileSync(file, 'utf8').split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?([\w.-]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (!match || line.trim().startsWith('#')) continue;
    let value = match[2];
    if (/^(['"]).*\1$/.test(value)) value = value.slice(1, -1);
    env[match[1]] = value;
  }
  return env;
}

function describeError(err) {
  if (err instanceof Error) {
    return {
      error: err.message,
      name: err.name,
      code: err.code,
      url: err.url,
      details: err.details,
    };
  }
  // The toolkit rejects a failed build with the bare string "failed".
  return { error: String(err), name: typeof err };
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const accountSid = process.env.TWILIO_ACCOUNT_SID;
  const authToken = process.env.TWILIO_AUTH_TOKEN;
  if (!accountSid || !authToken) {
    console.error('deploy.js: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN');
    process.exit(2);
  }
  const envPath = path.join(options.cwd, '.env');
  const pkgJson = JSON.parse(fs.readFileSync(path.join(options.cwd, 'package.json'), 'utf8'));

  const client = new toolkit.TwilioServerlessApiClient({ username: accountSid, password: authToken });
  client.on('status-update', (update) => {
    console.error(`status-update: ${update.status}: ${update.message}`);
  });

  const result = await client.deployLocalProject({
    cwd: options.cwd,
    envPath,
    env: readEnvFile(envPath),
    pkgJson,
    serviceName: options.serviceName,
    functionsEnv: options.environment,
    runtime: options.runtime,
    username: accountSid,
    password: authToken,
    overrideExistingService: false,
  });
  const summary = {
    serviceSid: result.serviceSid,
    environmentSid: result.environmentSid,
    buildSid: result.buildSid,
    domain: result.domain,
    runtime: result.runtime,
    serviceName: result.serviceName,
    functions: result.functionResources.map((f) => ({ sid: f.sid, path: f.path, access: f.access })),
    assets: result.assetResources.map((a) => ({ sid: a.sid, path: a.path, access: a.access })),
  };
  console.log(JSON.stringify(summary));
}

main().catch((err) => {
  console.error(`deploy failed: ${JSON.stringify(describeError(err))}`);
  process.exit(1);
});
