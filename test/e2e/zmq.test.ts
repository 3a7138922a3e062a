import { describeBusContract } from "./bus-contract.js";
import { createZmqDriver } from "../support/zmq-driver.js";

describeBusContract("ZeroMQ", createZmqDriver);
