// Every test run needs the real NATS and Postgres: start them if the machine has them and they are down.
const { ensureInfra } = require('../../../../tools/infra');
module.exports = async () => { await ensureInfra(); };
