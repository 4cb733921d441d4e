module.exports = require('../../tools/webpack/app.webpack')(__dirname);
