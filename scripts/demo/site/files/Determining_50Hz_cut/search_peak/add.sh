#!/bin/bash
cat shield_run* >> window.dat
